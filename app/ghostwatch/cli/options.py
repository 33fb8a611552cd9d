"""The command line's grammar and its shared parts: exit codes, usage errors, and detection options parsed once."""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from typing import NoReturn

from .. import __version__
from ..core.events import Verdict
from ..core.firewall import FIREWALLS
from ..core.hours import Hours
from ..core.netaddr import Networks
from ..core.settings import DetectionSettings, default_region
from ..core.signatures import Signatures
from ..paths import resources_dir

EXIT_OK, EXIT_FOUND, EXIT_USAGE = 0, 1, 2
FAIL_LEVELS = {"ghost": {Verdict.GHOST}, "attack": {Verdict.GHOST, Verdict.ATTACK},
               "suspicious": {Verdict.GHOST, Verdict.ATTACK, Verdict.SUSPICIOUS}}


class UsageError(Exception):
    """A bad option or argument: one line on stderr, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message} (see --help)")


def days(text: str) -> int:
    """A number of days, 0 or more (argparse turns the error into a one-line usage error)."""
    if not text.strip().isdigit():
        raise argparse.ArgumentTypeError(f"give a whole number of days, 0 or more (not {text!r})")
    return int(text)


def port_range(text: str) -> tuple[int, int]:
    """`LOW-HIGH`, two port numbers with LOW <= HIGH (argparse turns a ValueError into a one-line usage error)."""
    lo, sep, hi = text.strip().partition("-")
    if not (sep and lo.strip().isdigit() and hi.strip().isdigit()):
        raise argparse.ArgumentTypeError(f"give LOW-HIGH, e.g. 10000-20000 (not {text!r})")
    low, high = int(lo), int(hi)
    if not 1 <= low <= high <= 65535:
        raise argparse.ArgumentTypeError(f"ports go from 1 to 65535, the low one first (not {text!r})")
    return low, high


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="ghostwatch", description="Spot ghost calls and SIP attacks in your PBX's logs.")
    p.add_argument("--version", action="version", version=f"GhostWatch {__version__}")
    _gui_options(p)
    p.add_argument("--logs", action="append", default=[], metavar="DIR",
                   help="watch this log folder for this session (instead of the configured ones)")
    p.add_argument("--import-history", action="store_true",
                   help="with --logs: first read what the files already hold (rotated and .gz files included)")
    p.add_argument("--minimized", action="store_true", help="start in the tray (used by start at login)")
    sub = p.add_subparsers(dest="command", parser_class=_Parser)

    s = sub.add_parser("scan", help="read log files or directories once and report what they show",
                       description="Read PBX log files or directories once (rotated and .gz files included) and "
                                   "report every ghost call, attack and suspicious attempt, with the attacking "
                                   "sources. Exit status: 0 done, 1 --fail-on matched, 2 bad usage or a file "
                                   "that could not be read.")
    s.add_argument("paths", nargs="+", metavar="PATH", help="log files or directories (rotated and .gz included)")
    s.add_argument("--json", action="store_true", help="print one JSON document (events, sources, summary)")
    s.add_argument("--all", action="store_true", help="include normal events, not only the flagged ones")
    _detection_options(s)
    s.add_argument("--fail-on", choices=sorted(FAIL_LEVELS), help="exit with status 1 if such an event was found")

    w = sub.add_parser("watch", help="follow log files or directories live and record what they show",
                       description="Follow PBX log files or directories live (through rotation), store every "
                                   "attempt in the history and print the flagged ones as they happen.")
    w.add_argument("paths", nargs="+", metavar="PATH", help="log files or directories (may not exist yet)")
    w.add_argument("--json", action="store_true", help="print one JSON object per event per line (JSON Lines)")
    w.add_argument("--all", action="store_true", help="print normal events too, not only the flagged ones")
    w.add_argument("--from-start", action="store_true",
                   help="first import what the files already hold (rotated and .gz files included)")
    w.add_argument("--polling", action="store_true",
                   help="poll for changes instead of file-change notifications (for network shares)")
    w.add_argument("--data-dir", metavar="DIR", help="keep the history here instead of the usual data directory")
    w.add_argument("--ipc", action="store_true", help=argparse.SUPPRESS)  # the desktop app's monitor process
    w.add_argument("--once", action="store_true",
                   help="store what the files hold now and exit instead of following (with --from-start: import)")
    w.add_argument("--retention-days", type=days, default=400, metavar="N",
                   help="forget events older than N days at start (default 400; 0 keeps everything)")
    _detection_options(w)
    from ..fleet.hooks import add_options

    add_options(w)
    _hardening_parsers(sub)

    d = sub.add_parser("demo", help="the desktop app on a demo office whose logs are written live")
    _gui_options(d)
    d.add_argument("--night-seconds", type=float, default=90.0, metavar="S",
                   help="how long the night of attacks takes to play (default 90)")
    return p


def _hardening_parsers(sub: argparse._SubParsersAction) -> None:
    a = sub.add_parser("audit", help="check a PBX configuration directory against the hardening checklist",
                       description="Check an Asterisk or FreeSWITCH configuration directory (or an archive of it) "
                                   "against GhostWatch's hardening checklist, read-only. Exit status: 0 every "
                                   "checked step passes, 1 some step needs fixing, 2 bad usage or an unreadable "
                                   "configuration.")
    a.add_argument("config_dir", metavar="CONFIG_DIR",
                   help="e.g. /etc/asterisk or /etc/freeswitch, or an archive of it (.tar.gz, .zip)")
    a.add_argument("--json", action="store_true", help="print one JSON document with stable step ids")
    a.add_argument("--html", metavar="FILE", help="also write the report as an HTML page")
    a.add_argument("--firewall", choices=sorted(FIREWALLS),
                   help="print firewall rules that let SIP and RTP in only from the --trusted networks")
    a.add_argument("--trusted", action="append", default=[], metavar="CIDR",
                   help="your office LAN and your provider's addresses (repeat, or separate with commas)")
    a.add_argument("--rtp", default=(10000, 20000), type=port_range, metavar="LOW-HIGH",
                   help="the PBX's RTP port range, for --firewall (default 10000-20000)")

    t = sub.add_parser("selftest", help="send your own PBX one scanner-like OPTIONS and INVITE and report its answers")
    t.add_argument("target", metavar="ADDRESS[:PORT]", help="the PBX's address on your network (private or loopback)")
    t.add_argument("--consent", action="store_true",
                   help="required: you own this PBX and agree that GhostWatch sends it two SIP requests")
    t.add_argument("--json", action="store_true", help="print the result as JSON")

    r = sub.add_parser("rang", help="a phone rang and nobody was there: did the PBX see that call?")
    r.add_argument("when", metavar="WHEN", help="when it rang: 'HH:MM' (today) or 'YYYY-MM-DD HH:MM'")
    r.add_argument("--data-dir", metavar="DIR", help="the history's data directory (default: the usual one)")
    r.add_argument("--json", action="store_true", help="print the answer as JSON")


def _gui_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", metavar="DIR", help="keep settings and history here instead of the usual places")
    p.add_argument("--screenshot", metavar="PNG", help="save a picture of the main window when exiting")
    p.add_argument("--exit-after", type=float, metavar="SECONDS", help="quit after this many seconds")


def _detection_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--trusted", action="append", default=[], metavar="CIDR",
                   help="a network you trust (your provider's SIP servers, the office LAN); repeat or separate "
                        "with commas")
    p.add_argument("--office-hours", metavar="START-END",
                   help="mark calls outside these hours, e.g. 8-18, or 22-6 for a night shift")
    p.add_argument("--region", default=None, metavar="CC",
                   help=f"home country for caller-ID checks (two letters; default from locale: {default_region()})")


# -- the detection options, parsed (the only place `--trusted`, `--office-hours` and `--region` are read) ---------
def trusted_texts(values: Iterable[str]) -> list[str]:
    """The networks `--trusted` was given: each occurrence may hold several, separated with commas."""
    return [part.strip() for item in values for part in item.split(",") if part.strip()]


def trusted_networks(values: Iterable[str], command: str = "ghostwatch") -> Networks:
    """The networks `--trusted` was given, parsed; a bad one is a UsageError naming the option."""
    try:
        return Networks.parse(trusted_texts(values))
    except ValueError as exc:
        raise UsageError(f"{command}: --trusted: {exc}") from exc


def detection_settings(args: argparse.Namespace) -> DetectionSettings:
    """What `scan` and `watch` detect with, from their options; a bad value is a UsageError naming the option."""
    command = f"ghostwatch {args.command}" if getattr(args, "command", None) else "ghostwatch"
    trusted = trusted_networks(args.trusted, command)
    region = (args.region or default_region()).upper()
    import phonenumbers

    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise UsageError(f"{command}: --region: unknown region {args.region!r} (use a two-letter country code)")
    hours = None
    if getattr(args, "office_hours", None):
        try:
            hours = Hours.parse(args.office_hours)
        except ValueError as exc:
            raise UsageError(f"{command}: --office-hours: {exc}") from None
    return DetectionSettings(home_region=region, trusted=trusted, office_hours=hours)


def load_signatures() -> Signatures:
    """The scanner signatures `scan` and `watch` detect with (resources/signatures.toml)."""
    return Signatures.load(resources_dir() / "signatures.toml")
