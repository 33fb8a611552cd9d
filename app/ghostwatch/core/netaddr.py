"""Network addresses as PBX logs print them, and trusted networks."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8192)  # enough for the sources of a busy hour; a rotating IPv6 attacker must not fill memory
def parse_ip(text: str | None) -> IPAddress | None:
    if not text:
        return None
    try:
        addr = ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    return addr


@lru_cache(maxsize=8192)  # enough for the sources of a busy hour; a rotating IPv6 attacker must not fill memory
def normal_ip(text: str | None) -> str | None:
    """The canonical text of an IP address (IPv6 unbracketed and compressed), or None if it is not one."""
    addr = parse_ip(text)
    return str(addr) if addr is not None else None


def split_hostport(text: str, *, port_always: bool = False) -> tuple[str | None, int | None]:
    """Split `1.2.3.4:5060`, `[2001:db8::1]:5060`, `UDP:1.2.3.4:5060`, `2001:db8::1` into (ip, port).

    `port_always` says the printer always appended `:port`, so an unbracketed IPv6 address ends in one
    (res_pjsip before 13.24 printed `2001:db8::1:5060`). Returns (None, None) when no IP address is found.
    """
    s = text.strip()
    if s[:1].isdigit() and s.count(":") == 1:  # the common case, `1.2.3.4:5060`: ports vary, hosts repeat
        host, _, p = s.partition(":")
        ip = normal_ip(host)
        return (ip, port_number(p)) if ip else (None, None)
    for prefix in ("UDP:", "TCP:", "TLS:", "WS:", "WSS:", "udp:", "tcp:", "tls:", "ws:", "wss:"):
        if s.startswith(prefix):
            s = s[len(prefix):]
            break
    if s.startswith("["):
        end = s.find("]")
        if end < 0:
            return None, None
        host, rest = s[1:end], s[end + 1:]
        port = port_number(rest[1:]) if rest.startswith(":") else None
        ip = normal_ip(host)
        return (ip, port) if ip else (None, None)
    if s.count(":") == 1:
        host, _, p = s.partition(":")
        ip = normal_ip(host)
        return (ip, port_number(p)) if ip else (None, None)
    if s.count(":") > 1:  # unbracketed IPv6
        if port_always:
            host, _, p = s.rpartition(":")
            ip = normal_ip(host)
            if ip and ":" in ip:
                return ip, port_number(p)
        ip = normal_ip(s)
        return (ip, None) if ip else (None, None)
    ip = normal_ip(s)
    return (ip, None) if ip else (None, None)


def port_number(text: str) -> int | None:
    """A port (1-65535) from ASCII digits, else None."""
    if text.isascii() and text.isdigit():
        port = int(text)
        if 0 < port < 65536:
            return port
    return None



_LOCAL = tuple(ipaddress.ip_network(n) for n in (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "169.254.0.0/16", "100.64.0.0/10",
    "::1/128", "fc00::/7", "fe80::/10"))


@lru_cache(maxsize=8192)  # enough for the sources of a busy hour; a rotating IPv6 attacker must not fill memory
def is_local(ip: str | None) -> bool:
    """An address of a LAN, the machine itself, or carrier NAT: a phone in the office, not the internet."""
    addr = parse_ip(ip)
    return addr is not None and any(addr.version == n.version and addr in n for n in _LOCAL)


def is_ip_literal(host: str | None) -> bool:
    return parse_ip(host) is not None


@dataclass(frozen=True)
class Networks:
    """A set of networks with a fast membership test."""

    networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def parse(cls, items: Iterable[str]) -> Networks:
        """Parse CIDRs or single addresses; raises ValueError with the offending text."""
        nets = []
        for item in items:
            item = item.strip()
            if not item:
                continue
            try:
                nets.append(ipaddress.ip_network(item, strict=False))
            except ValueError as exc:
                raise ValueError(f"not a network or address: {item!r}") from exc
        return cls(tuple(nets))

    def __contains__(self, ip: object) -> bool:
        if not self.networks or not isinstance(ip, str):
            return False
        return _member(self.networks, ip)

    def __bool__(self) -> bool:
        return bool(self.networks)

    def as_text(self) -> list[str]:
        return [str(n) for n in self.networks]


@lru_cache(maxsize=8192)  # enough for the sources of a busy hour; a rotating IPv6 attacker must not fill memory
def _member(networks: tuple[IPNetwork, ...], ip: str) -> bool:
    addr = parse_ip(ip)
    return addr is not None and any(addr.version == n.version and addr in n for n in networks)
