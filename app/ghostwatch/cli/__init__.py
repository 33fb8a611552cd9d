"""Command line: `ghostwatch` (the desktop app) and its commands, each module imported only when its command runs."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TextIO

from ..core.text import display_text
from .options import EXIT_OK, EXIT_USAGE, UsageError, build_parser, detection_settings, load_signatures

__all__ = ["build_parser", "detection_settings", "gui_main", "load_signatures", "main"]


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run one command; returns the exit status (0 fine, 1 found what --fail-on asked about, 2 usage or I/O error)."""
    out = out or sys.stdout
    try:
        parser = build_parser()
        args, extra = parser.parse_known_args(argv)
        if extra:  # argparse's top-level parser would name no command: say whose option it is not
            who = f"ghostwatch {args.command}" if args.command else "ghostwatch"
            raise UsageError(f"{who}: unrecognized arguments: {' '.join(extra)} (see {who} --help)")
        if args.command == "scan":
            from .scan import cmd_scan

            return cmd_scan(args, out)
        if args.command == "watch":
            from .watch import cmd_watch

            return cmd_watch(args, out)
        if args.command in ("audit", "selftest", "rang"):
            from . import hardening

            handler = {"audit": hardening.cmd_audit, "selftest": hardening.cmd_selftest,
                       "rang": hardening.cmd_rang}[args.command]
            return handler(args, out)
        if args.command in (None, "demo"):
            from .gui import cmd_gui

            return cmd_gui(args)
        raise UsageError(f"ghostwatch: unknown command {args.command}")
    except UsageError as exc:
        print(display_text(exc), file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK


def gui_main() -> int:
    """Entry point of the `ghostwatch-gui` launcher (no console on Windows)."""
    return main([*sys.argv[1:]])
