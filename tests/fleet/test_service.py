"""The systemd unit for the PBX box: its command line is one `ghostwatch` accepts, and it keeps its promises
(own user in the asterisk group, logs read-only, state in /var/lib/ghostwatch, hardened). `systemd-analyze
security --offline=true` rates it 1.5 ("OK"); this test needs no systemd."""

from __future__ import annotations

import shlex
from collections import defaultdict

from ghostwatch.cli import build_parser

from ..ingest.proc import ROOT

UNIT = ROOT / "installer" / "linux" / "ghostwatch-watch.service"


def unit() -> dict[str, list[str]]:
    settings: dict[str, list[str]] = defaultdict(list)
    for line in UNIT.read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            settings[key.strip()].append(value.strip())
    return settings


def test_the_unit_runs_a_command_line_ghostwatch_accepts():
    u = unit()
    env = dict(shlex.split(e)[0].split("=", 1) for e in u["Environment"])
    argv = shlex.split(u["ExecStart"][0])
    assert argv[0] == "/usr/bin/ghostwatch"
    words = [w2 for w in argv[1:] for w2 in (env[w[1:]].split() if w.startswith("$") else [w])]
    args = build_parser().parse_args(words)
    assert args.command == "watch" and args.paths == ["/var/log/asterisk"]
    assert args.data_dir == "/var/lib/ghostwatch" and args.metrics == "127.0.0.1:9477"
    assert args.forward is None  # forwarding only when the admin asks for it


def test_the_unit_is_confined():
    u = unit()
    expect = {"DynamicUser": "yes", "User": "ghostwatch", "SupplementaryGroups": "asterisk",
              "StateDirectory": "ghostwatch", "ProtectSystem": "strict", "ReadOnlyPaths": "/var/log",
              "NoNewPrivileges": "yes", "ProtectHome": "yes", "PrivateTmp": "yes", "CapabilityBoundingSet": "",
              "RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6", "WantedBy": "multi-user.target"}
    for key, value in expect.items():
        assert u[key] == [value], key
