"""Memo: a bounded memo table whose hit is a plain dict subscript (pure functions use `functools.lru_cache`)."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Memo(dict[K, V], Generic[K, V]):
    """`memo[key]` is `make(key)`, made once while the key is kept; at most `maxsize` keys are kept.

    For the per-line hot paths: a hit is the C dict lookup itself (no Python call, which `lru_cache` needs), a miss
    calls `make` from `__missing__`. When full, the whole table is emptied before the new key goes in: no order is
    tracked, so a hit costs nothing extra, and values that repeat (the point of memoising) come back at once.
    `keep(key, value)` stores a value made elsewhere (when making it needs more than the key). It is a cache: a
    forgotten key is made again with the same result; state that must outlive the bound is not kept here.
    """

    __slots__ = ("make", "maxsize")

    def __init__(self, make: Callable[[K], V] | None = None, maxsize: int = 1024) -> None:
        super().__init__()
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self.make = make
        self.maxsize = maxsize

    def __missing__(self, key: K) -> V:
        if self.make is None:
            raise KeyError(key)
        return self.keep(key, self.make(key))

    def keep(self, key: K, value: V) -> V:
        """Store `value` under `key` (emptying the table first when it is full) and return it."""
        if len(self) >= self.maxsize:
            self.clear()
        self[key] = value
        return value
