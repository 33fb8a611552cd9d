"""core/memo.py: the bounded memo table the hot paths share, and the caches that became it or `lru_cache`."""

from __future__ import annotations

import pytest

from ghostwatch.core import classify, event_json, sipuri
from ghostwatch.core.memo import Memo


class _Counting:
    def __init__(self) -> None:
        self.calls: list[object] = []

    def __call__(self, key: object) -> list[object]:
        self.calls.append(key)
        return [key]  # a new object per call: identity tells a hit from a remake


def test_a_hit_returns_the_same_object_and_makes_nothing():
    make = _Counting()
    memo: Memo[str, list[object]] = Memo(make, 8)
    first = memo["a"]
    assert memo["a"] is first
    assert memo.get("a") is first
    assert make.calls == ["a"]


def test_never_holds_more_than_maxsize():
    memo: Memo[int, list[object]] = Memo(_Counting(), 4)
    for key in range(1000):
        memo[key]
        assert len(memo) <= 4


def test_when_full_it_is_emptied_before_the_new_key():
    make = _Counting()
    memo: Memo[int, list[object]] = Memo(make, 3)
    kept = [memo[k] for k in (1, 2, 3)]
    assert memo[4] == [4]
    assert list(memo) == [4]  # the old keys are gone, the new one is in
    again = memo[1]
    assert again == kept[0] and again is not kept[0]  # made again: same value, new object
    assert make.calls == [1, 2, 3, 4, 1]


def test_keep_stores_a_value_made_elsewhere_within_the_bound():
    memo: Memo[str, int] = Memo(maxsize=2)
    assert memo.keep("a", 1) == 1
    memo.keep("b", 2)
    memo.keep("c", 3)
    assert dict(memo) == {"c": 3}


def test_without_make_a_missing_key_is_a_key_error():
    memo: Memo[str, int] = Memo(maxsize=2)
    with pytest.raises(KeyError):
        memo["nothing"]
    assert memo.get("nothing") is None


def test_none_is_a_key_like_any_other():
    memo: Memo[str | None, str] = Memo(lambda v: "null" if v is None else v, 4)
    assert memo[None] == "null"
    assert None in memo


def test_a_failing_make_stores_nothing():
    def make(key: str) -> str:
        raise ValueError(key)

    memo: Memo[str, str] = Memo(make, 4)
    with pytest.raises(ValueError):
        memo["x"]
    assert len(memo) == 0


def test_maxsize_must_be_positive():
    with pytest.raises(ValueError):
        Memo(str, 0)


def test_the_consolidated_caches_keep_their_bounds():
    # lru_cache where the function is pure, Memo where a hit must stay a bare dict lookup or making needs more
    assert sipuri.parse_name_addr.cache_info().maxsize == 1024
    assert classify._reason.cache_info().maxsize == 2048
    assert classify._tag_reason.cache_info().maxsize == 4096
    assert event_json._TEXT.maxsize == event_json._REASONS.maxsize == 1024
    for n in range(3000):
        event_json._TEXT[f"value {n}"]
    assert len(event_json._TEXT) <= 1024


def test_shared_reasons_are_one_object_per_text():
    a = classify._reason("flood", "too many")
    assert classify._reason("flood", "too many") is a
    tag = classify._tag_reason("auth_failure", "Wrong password")
    assert tag is classify._tag_reason("auth_failure", "Wrong password")
    assert tag is not None and tag.text.endswith("(Wrong password)")
    assert classify._tag_reason("not_a_reason_tag", None) is None
