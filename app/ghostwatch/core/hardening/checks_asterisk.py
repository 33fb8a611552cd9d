"""Automatic checks of an Asterisk configuration directory (chan_sip, PJSIP, dialplan, logger).

Each check id (`sip_ports`, `guest_calls`, ...) is named by a checklist step in `resources/checklist.toml`.
Defaults are Asterisk's own when an option is not written (chan_sip: bindport 5060, allowguest yes).
"""

from __future__ import annotations

from pathlib import Path

from ..text import ascii_int
from .asterisk_conf import Option, Section, read_conf
from .findings import Evidence, Finding, Status, masked
from .fixes import Fixes
from .secrets import weakness
from .textfile import ConfigFiles

WELL_KNOWN_PORTS = {5060, 5061}


class AsteriskAudit:
    def __init__(self, config_dir: Path, fixes: Fixes) -> None:
        self.dir = config_dir
        self.fix = fixes.section("asterisk")
        self.files = files = ConfigFiles(config_dir)  # each file read once, one byte budget for the whole audit
        self.sip = read_conf(config_dir, "sip.conf", files)
        self.pjsip = read_conf(config_dir, "pjsip.conf", files)
        self.extensions = read_conf(config_dir, "extensions.conf", files)
        self.logger = read_conf(config_dir, "logger.conf", files)
        modules = read_conf(config_dir, "modules.conf", files)
        self.ports: set[int] = set()  # filled by sip_ports
        self.problems = [p for c in (self.sip, self.pjsip, self.extensions, self.logger) if c for p in c.problems]
        noload = {o.value.strip().lower() for s in (modules.sections if modules else []) for o in s.options
                  if o.key == "noload"}
        # A driver counts when it is loaded and something is configured in it.
        self.has_sip = self.sip is not None and bool(self.sip.real()) and "chan_sip.so" not in noload
        self.has_pjsip = (self.pjsip is not None and "res_pjsip.so" not in noload
                          and bool(self.pjsip.of_type("endpoint") or self.pjsip.of_type("transport")))

    def run(self) -> list[Finding]:
        out: list[Finding] = []
        for check in (self.sip_ports, self.guest_calls, self.insecure_invite, self.nat_settings,
                      self.identity_headers, self.acl, self.logging, self.weak_secrets):
            out.extend(check())
        return out

    # -- helpers ------------------------------------------------------------------------------------------------
    def _ev(self, opt: Option | None, sec: Section | None = None, note: str = "") -> Evidence:
        if opt is not None:
            return Evidence(_short(opt.file, self.dir), opt.line, masked(opt.text))
        assert sec is not None
        return Evidence(_short(sec.file, self.dir), sec.line, f"[{sec.name}]" + (f"  ({note})" if note else ""))

    def _general(self) -> Section | None:
        if self.sip is None:
            return None
        found = self.sip.find("general")
        return found[-1] if found else None

    def _phones_sip(self) -> list[Section]:
        """chan_sip peers and friends (not [general], not templates)."""
        if self.sip is None:
            return []
        return [s for s in self.sip.real() if s.name not in ("general", "authentication")
                and (s.value("type") or "").lower() in ("peer", "friend", "user")]

    def _identified(self) -> set[str]:
        """PJSIP endpoints matched by source address (type=identify): provider trunks."""
        if self.pjsip is None:
            return set()
        return {s.value("endpoint", "") or "" for s in self.pjsip.of_type("identify")}

    # -- checks -------------------------------------------------------------------------------------------------
    def sip_ports(self) -> list[Finding]:
        out = []
        general = self._general()
        if self.has_sip and general is not None:
            opt = general.get("udpbindaddr") or general.get("bindport")
            port = _port_of(opt.value, 5060) if opt and opt.key == "udpbindaddr" else \
                _int_or(opt.value if opt else "", 5060)
            self.ports.add(port)
            if port in WELL_KNOWN_PORTS:
                out.append(Finding("sip_ports", Status.FAIL, f"chan_sip listens on the well-known port {port}, "
                                   "the first one every scanner tries.",
                                   [self._ev(opt, general, "bindport not set: 5060")],
                                   self.fix("sip_port_default", file="sip.conf", section="general", key="bindport",
                                            example="5160")))
            else:
                out.append(Finding("sip_ports", Status.PASS, f"chan_sip listens on port {port}.",
                                   [self._ev(opt, general)]))
        if self.pjsip is not None:
            for tr in self.pjsip.of_type("transport"):
                bind = tr.get("bind")
                proto = (tr.value("protocol") or "udp").lower()
                default = 5061 if proto in ("tls", "wss") else 5060
                port = _port_of(bind.value, default) if bind else default
                if proto in ("ws", "wss"):
                    continue  # WebRTC rides on the HTTP server's port
                self.ports.add(port)
                if port in WELL_KNOWN_PORTS:
                    out.append(Finding("sip_ports", Status.FAIL, f"PJSIP transport [{tr.name}] listens on the "
                                       f"well-known port {port}.", [self._ev(bind, tr, "no bind: port 5060")],
                                       self.fix("sip_port_default", file="pjsip.conf", section=tr.name, key="bind",
                                                example="0.0.0.0:5160")))
                else:
                    out.append(Finding("sip_ports", Status.PASS, f"PJSIP transport [{tr.name}] listens on port "
                                       f"{port}.", [self._ev(bind, tr)]))
        return out

    def guest_calls(self) -> list[Finding]:
        out = []
        general = self._general()
        if self.has_sip and general is not None:
            opt = general.get("allowguest")
            context = general.value("context", "default")
            if opt is None or _yes(opt.value):
                landing = self._landing(context)
                out.append(Finding("guest_calls", Status.FAIL, "chan_sip accepts calls from anyone without a login "
                                   f"(allowguest is on{'' if opt else ' by default'}); they land in context "
                                   f"'{context}'{landing}.", [self._ev(opt, general, "allowguest not set: yes")],
                                   self.fix("allowguest")))
            else:
                out.append(Finding("guest_calls", Status.PASS, "chan_sip refuses calls without a login "
                                   "(allowguest=no).", [self._ev(opt)]))
            rej = general.get("alwaysauthreject")
            if rej is not None and not _yes(rej.value):
                out.append(Finding("guest_calls", Status.FAIL, "chan_sip tells scanners which extensions exist "
                                   "(alwaysauthreject=no).", [self._ev(rej)], self.fix("alwaysauthreject")))
        if self.pjsip is not None and self.has_pjsip:
            found_problem = False
            for ep in self.pjsip.find("anonymous"):
                if (ep.value("type") or "").lower() != "endpoint":
                    continue
                context = ep.value("context", "default") or "default"
                landing = self._landing(context)
                if landing == " (a dead end that only hangs up)":
                    out.append(Finding("guest_calls", Status.PASS, "The PJSIP [anonymous] endpoint only reaches "
                                       f"context '{context}', which hangs up.", [self._ev(ep.get("context"), ep)]))
                    continue
                found_problem = True
                out.append(Finding("guest_calls", Status.FAIL, "PJSIP has an [anonymous] endpoint: anyone can call "
                                   f"in without a login; calls land in context '{context}'{landing}.",
                                   [self._ev(None, ep), *([self._ev(ep.get("context"))] if ep.get("context") else [])],
                                   self.fix("anonymous_endpoint")))
            identified = self._identified()
            for ep in self.pjsip.of_type("endpoint"):
                if ep.name == "anonymous" or ep.get("auth") is not None or ep.name in identified:
                    continue
                found_problem = True
                out.append(Finding("guest_calls", Status.FAIL, f"PJSIP endpoint [{ep.name}] has no login (no auth=) "
                                   "and is not tied to an address: anyone who sends its name gets in.",
                                   [self._ev(None, ep, "no auth= line")],
                                   self.fix("endpoint_without_auth", section=ep.name)))
            if not found_problem:
                out.append(Finding("guest_calls", Status.PASS, "Every PJSIP endpoint needs a login or is tied to "
                                   "its provider's addresses; there is no anonymous endpoint.",
                                   [Evidence("pjsip.conf", 0, f"{len(self.pjsip.of_type('endpoint'))} endpoints "
                                             "checked")]))
        return out

    def _landing(self, context: str) -> str:
        """Where calls in `context` go: a phrase for the summary."""
        if self.extensions is None:
            return ""
        sections = self.extensions.find(context)
        if not sections:
            return " (which does not exist in extensions.conf, so they are refused)"
        apps = [o.value for s in sections for o in s.options if o.key in ("exten", "same")]
        if not apps:
            return " (which is empty)"
        if all("hangup" in a.lower() or "congestion" in a.lower() or "busy" in a.lower() for a in apps):
            return " (a dead end that only hangs up)"
        if any("dial" in a.lower() or "queue" in a.lower() or "goto" in a.lower() for a in apps):
            return ", where they can ring your phones"
        return ""

    def insecure_invite(self) -> list[Finding]:
        out = []
        for peer in self._phones_sip() if self.has_sip else []:
            opt = peer.get("insecure")
            if opt is None or "invite" not in opt.value.lower():
                continue
            host = (peer.value("host") or "dynamic").lower()
            pinned = bool(peer.all("permit")) and bool(peer.all("deny"))
            if host != "dynamic" and pinned:
                out.append(Finding("insecure_invite", Status.PASS, f"Peer [{peer.name}] takes calls without a login "
                                   "but only from its pinned addresses (deny/permit).", [self._ev(opt)]))
            else:
                out.append(Finding("insecure_invite", Status.FAIL, f"Peer [{peer.name}] takes calls without checking "
                                   f"who sends them (insecure={opt.value}"
                                   f"{', host=dynamic' if host == 'dynamic' else ', no deny/permit'}).",
                                   [self._ev(opt)], self.fix("insecure_invite", section=peer.name, value=opt.value)))
        if self.has_sip and not out:
            out.append(Finding("insecure_invite", Status.PASS, "No chan_sip peer skips the login for calls "
                               "(no insecure=invite).", [Evidence("sip.conf", 0,
                                                                  f"{len(self._phones_sip())} peers checked")]))
        return out

    def nat_settings(self) -> list[Finding]:
        out = []
        general = self._general()
        if self.has_sip and general is not None:
            ext = general.get("externaddr") or general.get("externip") or general.get("externhost")
            local = general.get("localnet")
            out.append(_nat_finding("chan_sip", ext, local, self._ev, self.fix, "sip.conf", "localnet", general))
        if self.pjsip is not None:
            for tr in self.pjsip.of_type("transport"):
                ext = tr.get("external_signaling_address") or tr.get("external_media_address")
                local = tr.get("local_net")
                out.append(_nat_finding(f"PJSIP transport [{tr.name}]", ext, local, self._ev, self.fix,
                                        "pjsip.conf", "local_net", tr))
        return out

    def identity_headers(self) -> list[Finding]:
        out = []
        if self.has_sip:
            general = self._general()
            for sec in ([general] if general else []) + self._phones_sip():
                opt = sec.get("trustrpid")
                host = (sec.value("host") or "dynamic").lower()
                if opt is not None and _yes(opt.value) and (sec.name == "general" or host == "dynamic"):
                    out.append(Finding("identity_headers", Status.FAIL, f"[{sec.name}] trusts the caller ID that "
                                       "any device sends (trustrpid=yes).", [self._ev(opt)],
                                       self.fix("trust_identity", section=sec.name, file="sip.conf",
                                                key="trustrpid")))
        if self.pjsip is not None:
            identified = self._identified()
            for ep in self.pjsip.of_type("endpoint"):
                opt = ep.get("trust_id_inbound")
                if opt is not None and _yes(opt.value) and ep.name not in identified:
                    out.append(Finding("identity_headers", Status.FAIL, f"PJSIP endpoint [{ep.name}] trusts the "
                                       "caller ID its device sends (trust_id_inbound=yes), though it is not your "
                                       "provider's trunk.", [self._ev(opt)],
                                       self.fix("trust_identity", section=ep.name, file="pjsip.conf",
                                                key="trust_id_inbound")))
        if not out and (self.has_sip or self.has_pjsip):
            out.append(Finding("identity_headers", Status.PASS, "Only provider trunks (if any) are trusted to set "
                               "the caller ID.", [Evidence("sip.conf" if self.has_sip else "pjsip.conf", 0,
                                                           "no trustrpid / trust_id_inbound on phones")]))
        return out

    def acl(self) -> list[Finding]:
        out = []
        keys = ("permit", "deny", "acl", "contact_permit", "contact_deny", "contact_acl")
        if self.has_sip:
            lines = [o for s in self.sip.real() for o in s.options if o.key in keys]
            if lines:
                out.append(Finding("acl", Status.PASS, "chan_sip limits which addresses may connect "
                                   f"({len(lines)} permit/deny/acl lines).", [self._ev(o) for o in lines[:5]]))
            else:
                out.append(Finding("acl", Status.FAIL, "chan_sip accepts SIP from any address on the internet "
                                   "(no permit/deny/acl anywhere).", [self._ev(None, self._general() or
                                                                              self.sip.real()[0], "no permit/deny")],
                                   self.fix("no_acl", how=self.fix("no_acl_chan_sip"))))
        if self.pjsip is not None and self.has_pjsip:
            lines = [o for s in self.pjsip.real() for o in s.options if o.key in keys]
            acl_sections = self.pjsip.of_type("acl")
            if lines or acl_sections:
                ev = [self._ev(None, s) for s in acl_sections[:3]] + [self._ev(o) for o in lines[:3]]
                out.append(Finding("acl", Status.PASS, "PJSIP limits which addresses may connect.", ev))
            else:
                first = self.pjsip.real()[0]
                out.append(Finding("acl", Status.FAIL, "PJSIP accepts SIP from any address on the internet "
                                   "(no type=acl section, no acl/permit/deny on endpoints).",
                                   [self._ev(None, first, "no access list in pjsip.conf")],
                                   self.fix("no_acl", how=self.fix("no_acl_pjsip"))))
        return out

    def logging(self) -> list[Finding]:
        if self.logger is None:
            return [Finding("logging", Status.UNKNOWN, "There is no logger.conf here, so Asterisk writes only its "
                            "built-in 'messages' log; GhostWatch also needs the security log.",
                            [Evidence("logger.conf", 0, "missing")], self.fix("security_log"))]
        entries = [o for s in self.logger.find("logfiles") for o in s.options]
        security = [o for o in entries if "security" in o.value.lower()]
        notices = [o for o in entries if "notice" in o.value.lower() or o.value.strip() == "*"]
        out = []
        if security and notices:
            out.append(Finding("logging", Status.PASS, "Asterisk writes the security log and notices that GhostWatch "
                               "reads.", [self._ev(o) for o in (security[0], notices[0])]))
        else:
            missing = "the security log" if not security else "notices (failed registrations, rejected calls)"
            ev = [self._ev(o) for o in entries[:3]] or [Evidence("logger.conf", 0, "no [logfiles] entries")]
            out.append(Finding("logging", Status.FAIL, f"Asterisk does not write {missing}, so attacks go "
                               "unrecorded.", ev, self.fix("security_log")))
        verbose = [o for o in entries if "verbose" in o.value.lower() or o.value.strip() == "*"]
        if verbose:
            out.append(Finding("logging", Status.PASS, "Calls that get into the dialplan are logged (verbose), so "
                               "GhostWatch sees the ones that ring.", [self._ev(verbose[0])]))
        elif entries:
            out.append(Finding("logging", Status.FAIL, "No log file has the verbose dialplan trace, so a ghost call "
                               "that gets in and rings a phone leaves no line for GhostWatch to read.",
                               [self._ev(entries[0])], self.fix("verbose_log")))
        out.extend(self._call_records())
        return out

    def _call_records(self) -> list[Finding]:
        """cdr.conf: call records (Master.csv) show which calls rang and for how long; on unless switched off."""
        cdr = read_conf(self.dir, "cdr.conf", self.files)
        if cdr is None:
            return []
        general = cdr.find("general")
        enable = general[-1].get("enable") if general else None
        if enable is not None and not _yes(enable.value):
            return [Finding("logging", Status.FAIL, "Call records are switched off (cdr.conf enable=no), so "
                            "GhostWatch cannot tell which calls rang and for how long.", [self._ev(enable)],
                            self.fix("cdr_off"))]
        if enable is not None:
            ev = self._ev(enable)
        elif general:
            ev = self._ev(None, general[-1], "enable not set: on")
        else:
            ev = Evidence("cdr.conf", 0, "no [general] section: calls are recorded by default")
        return [Finding("logging", Status.PASS, "Call records are on (cdr.conf).", [ev])]

    def weak_secrets(self) -> list[Finding]:
        out = []
        checked = 0
        accounts: list[tuple[Section, Option, str]] = []
        if self.has_sip:
            for peer in self._phones_sip():
                opt = peer.get("secret")
                if opt is not None:
                    accounts.append((peer, opt, peer.value("defaultuser") or peer.value("username") or peer.name))
        if self.pjsip is not None:
            for auth in self.pjsip.of_type("auth"):
                opt = auth.get("password")
                if opt is not None:
                    accounts.append((auth, opt, auth.value("username") or auth.name))
        for sec, opt, user in accounts:
            checked += 1
            why = weakness(opt.value, user)
            if why:
                out.append(Finding("weak_secrets", Status.FAIL, f"[{sec.name}] has a weak password: {why}.",
                                   [self._ev(opt)], self.fix("weak_secret", section=sec.name)))
        if checked and not out:
            out.append(Finding("weak_secrets", Status.PASS, f"All {checked} passwords are long and not guessable "
                               "from the account name.", [Evidence("pjsip.conf" if self.has_pjsip else "sip.conf", 0,
                                                                   f"{checked} passwords checked")]))
        return out


def _nat_finding(what, ext, local, ev, fix, file, key, sec) -> Finding:
    if ext is not None and local is None:
        return Finding("nat_settings", Status.FAIL, f"{what} has an external address but no local network, so "
                       "phones in the office may be reached through the internet address.", [ev(ext)],
                       fix("localnet_missing", file=file, key=key))
    if local is not None:
        return Finding("nat_settings", Status.PASS, f"{what} knows which addresses are the office network.",
                       [ev(local)])
    return Finding("nat_settings", Status.UNKNOWN, f"{what} has no NAT settings: right when the PBX and the phones "
                   "share one network and nothing is forwarded from the router; GhostWatch cannot see the router.",
                   [ev(None, sec, "no external address, no local network")])


def _port_of(bind: str, default: int) -> int:
    text = bind.strip()
    if text.startswith("["):
        _, _, rest = text.partition("]")
        return _int_or(rest[1:], default) if rest.startswith(":") else default
    if text.count(":") == 1:
        port = text.rpartition(":")[2]
        return _int_or(port, default)
    return default


def _yes(value: str) -> bool:
    return value.strip().lower() in ("yes", "true", "y", "t", "1", "on")


def _short(path: str, root: Path) -> str:
    try:
        return str(Path(path).relative_to(root))
    except ValueError:
        return path


def _int_or(text: str, default: int) -> int:
    value = ascii_int(text)
    return default if value is None else value
