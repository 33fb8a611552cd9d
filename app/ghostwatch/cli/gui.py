"""The desktop app from the command line (`ghostwatch`, `ghostwatch demo`): checks first, then Qt, imported late."""

from __future__ import annotations

import argparse
import os
import sys

from .options import UsageError


def cmd_gui(args: argparse.Namespace) -> int:
    """The desktop app (`ghostwatch`, `ghostwatch demo`)."""
    if args.exit_after is not None and args.exit_after <= 0:
        raise UsageError("ghostwatch: --exit-after: give a positive number of seconds")
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    if sys.platform.startswith("linux") and not platform and not (os.environ.get("DISPLAY")
                                                                  or os.environ.get("WAYLAND_DISPLAY")):
        raise UsageError("ghostwatch: no display found. Start GhostWatch from your desktop session, or use "
                         "`ghostwatch scan PATH` / `ghostwatch watch PATH` in a terminal.")
    try:
        from ..ui.app import LaunchOptions, run_gui
    except ImportError as exc:
        raise UsageError(f"ghostwatch: the desktop app cannot start: {exc}") from exc
    demo = args.command == "demo"
    opts = LaunchOptions(data_dir=args.data_dir, demo=demo, logs=tuple(getattr(args, "logs", ()) or ()),
                         screenshot=args.screenshot, exit_after=args.exit_after,
                         minimized=getattr(args, "minimized", False),
                         demo_seconds=getattr(args, "night_seconds", 90.0),
                         import_history=getattr(args, "import_history", False),
                         interactive=args.screenshot is None and args.exit_after is None)
    return run_gui(opts)
