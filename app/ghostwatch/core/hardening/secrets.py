"""Is a SIP password guessable? The rules scanners' password crackers (svcrack) exploit first."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

MIN_LENGTH = 12


@lru_cache(maxsize=1)
def common_passwords(path: Path | None = None) -> frozenset[str]:
    from ...paths import resources_dir

    target = path or resources_dir() / "weak-secrets.txt"
    try:
        lines = target.read_text(encoding="utf-8").splitlines()
    except OSError:
        return frozenset()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def weakness(password: str, user: str) -> str | None:
    """Why `password` is weak for account `user` (words for people), or None. The password is never quoted."""
    p = password.strip()
    if not p:
        return "it is empty"
    if p.lower() == user.strip().lower() or p.lower() in (user.lower() * 2, user.lower()[::-1]):
        return "it is the account name"
    if p.lower() in common_passwords():
        return "it is on the list of passwords scanners try first"
    if p.isdigit():
        return f"it is only digits ({len(p)} of them): scanners try all numbers"
    if len(p) < MIN_LENGTH:
        return f"it is only {len(p)} characters long (use at least {MIN_LENGTH}, better 16)"
    return None
