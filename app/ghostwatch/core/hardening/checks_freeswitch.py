"""Automatic checks of a FreeSWITCH configuration (`vars.xml`, `sip_profiles/`, `directory/`).

Values are read after `$${variable}` substitution from vars.xml, so `sip-port=$${internal_sip_port}` is judged by
the port it really gets. FreeSWITCH's shipped defaults: internal profile on 5060, external on 5080,
`default_password=1234`, `log-auth-failures=false`.
"""

from __future__ import annotations

from pathlib import Path

from ..text import ascii_int
from .findings import Evidence, Finding, Status, masked
from .fixes import Fixes
from .freeswitch_conf import FreeSwitchConf, Param, Profile, read_freeswitch
from .secrets import weakness

WELL_KNOWN_PORTS = {5060, 5061, 5080, 5081}
_TRUE = ("true", "yes", "on", "1")


class FreeSwitchAudit:
    def __init__(self, root: Path, fixes: Fixes) -> None:
        self.root = root
        self.fix = fixes.section("freeswitch")
        conf = read_freeswitch(root)
        assert conf is not None, "not a FreeSWITCH configuration directory"
        self.conf: FreeSwitchConf = conf
        self.ports: set[int] = set()  # filled by sip_ports
        self.problems = list(conf.problems)

    def run(self) -> list[Finding]:
        out: list[Finding] = []
        for check in (self.sip_ports, self.guest_calls, self.nat_settings, self.acl, self.logging,
                      self.weak_secrets):
            out.extend(check())
        return out

    def _ev(self, param: Param | None, profile: Profile | None = None, note: str = "") -> Evidence:
        if param is not None:
            text = f'<param name="{param.name}" value="{param.written}"/>'
            if param.written != param.value:
                text += f"  (= {param.value})"
            return Evidence(self._short(param.file), param.line, masked(text))
        assert profile is not None
        return Evidence(self._short(profile.file), profile.line, f'<profile name="{profile.name}">'
                        + (f"  ({note})" if note else ""))

    def _short(self, path: str) -> str:
        try:
            return str(Path(path).relative_to(self.root))
        except ValueError:
            return path

    def sip_ports(self) -> list[Finding]:
        out = []
        for prof in self.conf.profiles:
            param = prof.get("sip-port")
            value = param.value if param else "5060"
            port = ascii_int(value)
            if port is not None:
                self.ports.add(port)
            if port is None:
                out.append(Finding("sip_ports", Status.UNKNOWN, f"Profile '{prof.name}': the SIP port "
                                   f"'{value}' is not a number GhostWatch can read.", [self._ev(param, prof)]))
            elif port in WELL_KNOWN_PORTS:
                out.append(Finding("sip_ports", Status.FAIL, f"Profile '{prof.name}' listens on the well-known port "
                                   f"{port}, which scanners try first.", [self._ev(param, prof, "sip-port not set")],
                                   self.fix("sip_port_default", file=self._short(prof.file), section=prof.name,
                                            example="5160" if port < 5070 else "5180")))
            else:
                out.append(Finding("sip_ports", Status.PASS, f"Profile '{prof.name}' listens on port {port}.",
                                   [self._ev(param, prof)]))
        return out

    def guest_calls(self) -> list[Finding]:
        out = []
        for prof in self.conf.profiles:
            file = self._short(prof.file)
            for key in ("accept-blind-auth", "accept-blind-reg"):
                p = prof.get(key)
                if p is not None and p.value.lower() in _TRUE:
                    out.append(Finding("guest_calls", Status.FAIL, f"Profile '{prof.name}' accepts any password "
                                       f"({key}=true).", [self._ev(p)], self.fix("blind", file=file,
                                                                                section=prof.name, key=key)))
            auth = prof.get("auth-calls")
            acl = prof.get("apply-inbound-acl")
            if auth is not None and auth.value.lower() in _TRUE:
                out.append(Finding("guest_calls", Status.PASS, f"Profile '{prof.name}' asks every caller to log in "
                                   "(auth-calls=true).", [self._ev(auth)]))
            elif acl is not None and acl.value:
                out.append(Finding("guest_calls", Status.PASS, f"Profile '{prof.name}' takes calls without a login "
                                   f"only from the networks in the '{acl.value}' list.",
                                   [self._ev(p) for p in (auth, acl) if p is not None]))
            else:
                context = prof.get("context")
                where = f" into context '{context.value}'" if context else ""
                out.append(Finding("guest_calls", Status.FAIL, f"Profile '{prof.name}' takes calls from anyone "
                                   f"without a login{where} (auth-calls is "
                                   f"{'false' if auth else 'not set'}, no apply-inbound-acl).",
                                   [self._ev(auth, prof, "auth-calls not set")],
                                   self.fix("auth_calls", file=file, section=prof.name)))
        return out

    def nat_settings(self) -> list[Finding]:
        out = []
        for prof in self.conf.profiles:
            ext = prof.get("ext-sip-ip") or prof.get("ext-rtp-ip")
            local = prof.get("local-network-acl")
            if ext is not None and ext.value and local is None:
                out.append(Finding("nat_settings", Status.FAIL, f"Profile '{prof.name}' has an external address but "
                                   "no local-network-acl.", [self._ev(ext)],
                                   self.fix("localnet_missing", file=self._short(prof.file), section=prof.name)))
            elif local is not None:
                out.append(Finding("nat_settings", Status.PASS, f"Profile '{prof.name}' knows the local network "
                                   f"({local.value}).", [self._ev(local)]))
            else:
                out.append(Finding("nat_settings", Status.UNKNOWN, f"Profile '{prof.name}' has no NAT settings: "
                                   "right when nothing is forwarded from the router.", [self._ev(None, prof)]))
        return out

    def acl(self) -> list[Finding]:
        out = []
        for prof in self.conf.profiles:
            acl = prof.get("apply-inbound-acl")
            if acl is not None and acl.value:
                out.append(Finding("acl", Status.PASS, f"Profile '{prof.name}' applies the access list "
                                   f"'{acl.value}'.", [self._ev(acl)]))
            else:
                out.append(Finding("acl", Status.FAIL, f"Profile '{prof.name}' accepts SIP from any address.",
                                   [self._ev(None, prof, "no apply-inbound-acl")],
                                   self.fix("no_acl", file=self._short(prof.file), section=prof.name)))
        return out

    def logging(self) -> list[Finding]:
        out = []
        for prof in self.conf.profiles:
            p = prof.get("log-auth-failures")
            if p is not None and p.value.lower() in _TRUE:
                out.append(Finding("logging", Status.PASS, f"Profile '{prof.name}' logs failed logins.",
                                   [self._ev(p)]))
            else:
                out.append(Finding("logging", Status.FAIL, f"Profile '{prof.name}' does not log failed logins, so "
                                   "password guessing goes unseen.", [self._ev(p, prof, "log-auth-failures not set")],
                                   self.fix("log_auth_failures", file=self._short(prof.file), section=prof.name)))
        return out

    def weak_secrets(self) -> list[Finding]:
        out = []
        default = self.conf.variables.get("default_password")
        if default is not None and weakness(default.value, "") is not None:
            ev = Evidence(self._short(default.file), default.line,
                          masked(f'<X-PRE-PROCESS cmd="set" data="default_password={default.written}"/>'))
            out.append(Finding("weak_secrets", Status.FAIL, "The sample default_password is still set: "
                               f"{weakness(default.value, '')}. Every user without its own password has it.", [ev],
                               self.fix("default_password", file=ev.file, line=ev.line)))
        checked = 0
        for user in self.conf.users:
            if user.password is None:
                continue
            checked += 1
            why = weakness(user.password.value, user.id)
            if why and not (default is not None and user.password.written == "$${default_password}" and out):
                out.append(Finding("weak_secrets", Status.FAIL, f"User {user.id} has a weak password: {why}.",
                                   [self._ev(user.password)],
                                   self.fix("weak_secret", file=self._short(user.file), section=user.id)))
        if not out and (checked or default is not None):
            out.append(Finding("weak_secrets", Status.PASS, f"The default password and all {checked} user "
                               "passwords are strong.", [Evidence("vars.xml", default.line if default else 0,
                                                                  "default_password=********")]))
        return out
