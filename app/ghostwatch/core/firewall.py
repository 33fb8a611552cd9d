"""Firewall rules GhostWatch hands over (it never changes a firewall itself): block one source, or allow SIP and
RTP only from trusted networks."""

from __future__ import annotations

import ipaddress

from .netaddr import Networks

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


def allow_only(trusted: list[str] | tuple[str, ...], sip_ports: list[int] | tuple[int, ...] = (5060,),
               rtp: tuple[int, int] = (10000, 20000), kind: str = "nftables") -> str:
    """Rules that let SIP (UDP and TCP) and RTP in only from `trusted` networks and drop them from anywhere else.

    Raises ValueError for an empty or invalid network list (the text comes from settings, never from a log).
    """
    nets = Networks.parse(trusted).networks
    if not nets:
        raise ValueError("add your office network and your provider's addresses as trusted networks first")
    ports = sorted({int(p) for p in sip_ports if 0 < int(p) < 65536}) or [5060]
    lo, hi = rtp
    if not 0 < lo <= hi < 65536:
        raise ValueError(f"not a port range: {lo}-{hi}")
    v4 = [str(n) for n in nets if n.version == 4]
    v6 = [str(n) for n in nets if n.version == 6]
    sip = ", ".join(str(p) for p in ports)
    if kind == "nftables":
        lines = ["nft add table inet ghostwatch",
                 "nft 'add chain inet ghostwatch sip { type filter hook input priority -10; }'"]
        for family, group in (("ip", v4), ("ip6", v6)):
            if group:
                lines.append(f"nft add rule inet ghostwatch sip {family} saddr {{ {', '.join(group)} }} "
                             f"udp dport {{ {sip}, {lo}-{hi} }} accept")
                lines.append(f"nft add rule inet ghostwatch sip {family} saddr {{ {', '.join(group)} }} "
                             f"tcp dport {{ {sip} }} accept")
        lines.append(f"nft add rule inet ghostwatch sip udp dport {{ {sip}, {lo}-{hi} }} drop")
        lines.append(f"nft add rule inet ghostwatch sip tcp dport {{ {sip} }} drop")
        return "\n".join(lines)
    if kind == "iptables":
        lines = []
        for tool, group in (("iptables", v4), ("ip6tables", v6)):
            lines.append(f"{tool} -N GHOSTWATCH-SIP")
            lines += [f"{tool} -A GHOSTWATCH-SIP -s {n} -j RETURN" for n in group]
            lines.append(f"{tool} -A GHOSTWATCH-SIP -j DROP")
            dports = ",".join(str(p) for p in ports)
            lines.append(f"{tool} -I INPUT -p udp -m multiport --dports {dports},{lo}:{hi} -j GHOSTWATCH-SIP")
            lines.append(f"{tool} -I INPUT -p tcp -m multiport --dports {dports} -j GHOSTWATCH-SIP")
        return "\n".join(lines)
    if kind == "ufw":
        lines = []
        for n in v4 + v6:
            lines += [f"ufw allow from {n} to any port {p} proto {proto}" for p in ports for proto in ("udp", "tcp")]
            lines.append(f"ufw allow from {n} to any port {lo}:{hi} proto udp")
        lines += [f"ufw deny {p}/{proto}" for p in ports for proto in ("udp", "tcp")]
        lines.append(f"ufw deny {lo}:{hi}/udp")
        return "\n".join(lines)
    if kind == "windows":
        remote = ",".join(v4 + v6)
        sip_list = ",".join(str(p) for p in ports)
        return "\n".join([
            "rem Windows blocks incoming traffic that no rule allows; remove older rules that allow SIP from any "
            "address.",
            f'netsh advfirewall firewall add rule name="GhostWatch SIP (UDP)" dir=in action=allow protocol=UDP '
            f"localport={sip_list},{lo}-{hi} remoteip={remote}",
            f'netsh advfirewall firewall add rule name="GhostWatch SIP (TCP)" dir=in action=allow protocol=TCP '
            f"localport={sip_list} remoteip={remote}",
        ])
    raise ValueError(f"unknown firewall {kind!r}")
