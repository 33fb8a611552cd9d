"""Firewall rules GhostWatch hands over (it never changes a firewall itself): block one source, or allow SIP and
RTP only from trusted networks."""

from __future__ import annotations

import ipaddress

FIREWALLS = {"nftables": "nftables (Debian, Ubuntu, FreePBX 17)", "iptables": "iptables",
             "ufw": "ufw (Ubuntu)", "windows": "Windows Defender Firewall (PowerShell as administrator)"}


def block_source(ip: str, kind: str = "nftables") -> str:
    """Commands that drop everything from `ip`. Raises ValueError for text that is not an IP address."""
    addr = ipaddress.ip_address(ip)  # never paste attacker-controlled text into a shell command
    v6 = addr.version == 6
    if kind == "nftables":
        family = "ip6" if v6 else "ip"
        return (f"nft add table inet ghostwatch\n"
                f"nft 'add chain inet ghostwatch input {{ type filter hook input priority -10; }}'\n"
                f"nft add rule inet ghostwatch input {family} saddr {addr} drop")
    if kind == "iptables":
        return f"{'ip6tables' if v6 else 'iptables'} -I INPUT -s {addr} -j DROP"
    if kind == "ufw":
        return f"ufw insert 1 deny from {addr}"
    if kind == "windows":
        return (f'New-NetFirewallRule -DisplayName "GhostWatch block {addr}" -Direction Inbound '
                f'-RemoteAddress {addr} -Action Block')
    raise ValueError(f"unknown firewall {kind!r}")
