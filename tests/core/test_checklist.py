"""The hardening checklist is data: every step complete, and every piece of advice points at a real step."""

from __future__ import annotations

import tomllib

from ghostwatch.core.hardening.checklist import load_checklist
from ghostwatch.paths import resources_dir

DESIGN_ORDER = ["move-sip-port", "validate-incoming", "check-invite-user", "restrict-to-proxy", "register-lan",
                "privacy-headers", "block-direct-ip", "trusted-sources", "keep-watching"]


def test_checklist_has_the_nine_steps_each_with_a_fix():
    steps = load_checklist(resources_dir() / "checklist.toml")
    assert [s.id for s in steps] == DESIGN_ORDER
    for s in steps:
        assert s.title and len(s.why) > 40, s.id
        assert s.pbx or s.phones, s.id
        text = s.as_text()
        assert text.startswith(s.title) and s.why in text


def test_every_advice_points_at_a_checklist_step():
    steps = {s.id for s in load_checklist(resources_dir() / "checklist.toml")}
    with open(resources_dir() / "advice.toml", "rb") as fh:
        advice = tomllib.load(fh)
    assert {a["step"] for a in advice.values()} <= steps


def test_phone_settings_name_the_vendor_keys():
    steps = {s.id: s for s in load_checklist(resources_dir() / "checklist.toml")}
    assert "sip.trust_ctrl = 1" in steps["restrict-to-proxy"].phones["yealink"]
    assert "features.direct_ip_call_enable = 0" in steps["block-direct-ip"].phones["yealink"]
    assert "filter_registrar=on" in steps["restrict-to-proxy"].as_text()
    assert "Snom:" in steps["restrict-to-proxy"].as_text()
