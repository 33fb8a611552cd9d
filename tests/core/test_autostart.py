"""Start at login writes and removes a real XDG autostart entry."""

from __future__ import annotations

import sys

import pytest

from ghostwatch.core.autostart import autostart_enabled, autostart_path, set_autostart


@pytest.mark.skipif(sys.platform == "win32", reason="XDG autostart is the Linux mechanism")
def test_start_at_login_writes_and_removes_the_xdg_entry(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert not autostart_enabled()
    set_autostart(True)
    entry = autostart_path()
    assert entry == tmp_path / "autostart" / "ghostwatch.desktop"
    text = entry.read_text()
    assert "Type=Application" in text and "--minimized" in text and "-m ghostwatch" in text
    set_autostart(False)
    assert not entry.exists() and not autostart_enabled()
