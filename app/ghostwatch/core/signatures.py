"""Scanner signatures (user agents, caller IDs, display names, From hosts), loaded from resources/signatures.toml."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Signatures:
    scanner_agents: tuple[str, ...]
    spoofed_agents: tuple[str, ...]
    exact_agents: frozenset[str]
    caller_ids: frozenset[str]
    display_names: frozenset[str]
    from_hosts: frozenset[str]
    inbound_contexts: tuple[str, ...]
    guest_contexts: frozenset[str]
    sdp_tools: tuple[str, ...] = ()          # attack tools that name themselves in the SDP (`s=`, `o=` lines)
    injection_markers: tuple[str, ...] = ()  # SQL injection some scanners put in the From user

    @classmethod
    def load(cls, path: Path) -> Signatures:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: dict) -> Signatures:
        def low(section: str, key: str) -> list[str]:
            return [str(v).lower() for v in data.get(section, {}).get(key, [])]

        exact = frozenset(str(v).lower() for v in data.get("user_agents", {}).get("exact", []))
        return cls(
            scanner_agents=tuple(low("user_agents", "scanner")),
            spoofed_agents=tuple(low("user_agents", "spoofed")),
            exact_agents=exact,
            caller_ids=frozenset(low("caller_ids", "scanner")),
            display_names=frozenset(low("display_names", "scanner")),
            from_hosts=frozenset(low("from_hosts", "scanner")),
            inbound_contexts=tuple(data.get("contexts", {}).get("inbound", [])),
            guest_contexts=frozenset(data.get("contexts", {}).get("guest", [])),
            sdp_tools=tuple(low("sdp", "scanner")),
            injection_markers=tuple(low("from_users", "injection")),
        )

    def agent_match(self, user_agent: str | None) -> tuple[str, str] | None:
        """('scanner' | 'spoofed', matched entry) for a user agent, or None."""
        if not user_agent:
            return None
        ua = user_agent.strip().lower()
        for kind, entries in (("scanner", self.scanner_agents), ("spoofed", self.spoofed_agents)):
            for entry in entries:
                if entry in self.exact_agents:
                    if ua == entry:
                        return kind, entry
                elif entry in ua:
                    return kind, entry
        return None

    def is_scanner_caller(self, caller_id: str | None) -> bool:
        return bool(caller_id) and caller_id.strip().lower() in self.caller_ids

    def is_scanner_name(self, name: str | None) -> bool:
        return bool(name) and name.strip().strip('"').lower() in self.display_names

    def is_scanner_host(self, host: str | None) -> bool:
        return bool(host) and host.strip().lower() in self.from_hosts
