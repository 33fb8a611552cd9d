"""Rotation by rename (logrotate without copytruncate): the PBX keeps writing to the renamed file until it reopens
its log (Asterisk's `logger reload` in logrotate's postrotate). Those late lines must be read exactly once, in
native and polling mode (the `rig` fixture runs both), with real files and real watchdog observers."""

from __future__ import annotations

import os

from ghostwatch.ingest.follow import ROTATED_QUIET_SECONDS, Follower

from .harness import SIGNATURES, append, lines

ROUNDS = 4  # the race between rename, the new file and the late writes is repeated to catch it


def _shift(logs, rounds_done: int) -> None:
    """logrotate's rename: messages.N -> messages.N+1 (oldest first), then messages -> messages.1."""
    for n in range(rounds_done, 0, -1):
        os.rename(logs / f"messages.{n}", logs / f"messages.{n + 1}")
    os.rename(logs / "messages", logs / "messages.1")


def _wait_for(rig, count: int) -> None:
    rig.collector.wait(lambda c: len(c.events) >= count)


def test_late_writes_to_the_renamed_file_after_the_new_one_exists_are_read(rig):
    logs, f = rig.watching()
    n = 0
    expected: list[str] = []
    for rnd in range(ROUNDS):
        append(f, lines(n, n + 3))
        expected += [str(i) for i in range(n, n + 3)]
        n += 3
        _wait_for(rig, len(expected))
        _shift(logs, rnd)
        f.write_bytes(lines(n, n + 2))  # the new file exists, with lines of its own ...
        expected += [str(i) for i in range(n, n + 2)]
        n += 2
        _wait_for(rig, len(expected))  # ... and the monitor has read them
        for i in range(n, n + 5):  # then the PBX, not yet reopened, writes five more lines to the renamed file
            append(logs / "messages.1", lines(i, i + 1))
        expected += [str(i) for i in range(n, n + 5)]
        n += 5
        _wait_for(rig, len(expected))
    assert rig.monitor.settle()
    got = rig.collector.extensions()
    assert sorted(got, key=int) == expected, (",".join(got), rig.collector.warnings)
    assert sorted(rig.stored_extensions(), key=int) == expected  # each line stored once
    assert rig.collector.progress == []  # following a rotation is no history import: no progress bar


def test_a_rotated_file_removed_while_followed_ends_cleanly(rig):
    logs, f = rig.watching()
    append(f, lines(1, 3))
    rig.collector.wait(lambda c: len(c.events) == 2)
    os.rename(f, logs / "messages.1")
    f.write_bytes(lines(3, 4))
    rig.collector.wait(lambda c: len(c.events) == 3)
    os.remove(logs / "messages.1")
    append(f, lines(4, 6))
    rig.collector.wait(lambda c: len(c.events) == 5)
    assert rig.monitor.settle()
    assert rig.collector.extensions() == ["1", "2", "3", "4", "5"]
    assert rig.monitor.follower is not None and not rig.monitor.follower.draining
    assert not any("messages.1" in p.path for p in rig.monitor.status.problems)


# -- the Follower alone: no threads, no observer, a clock the test moves -------------------------------------------
class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _read_all(follower: Follower) -> list[str]:
    """What one pipeline cycle would store: parse every chunk, move each cursor, drop finished rotated files."""
    out: list[str] = []
    for chunk in follower.poll():
        ff = chunk.source
        if ff.parser is None or not chunk.data:
            ff.advance(chunk, 0, 0)
        else:
            res = ff.parser.feed(chunk.data, chunk.line, chunk.final)
            out += [r.extension for r in res.records]
            ff.advance(chunk, res.consumed, res.lines)
        if ff.done:
            follower.finished(ff)
    return out


def _following(tmp_path):
    """An empty `messages` in a new folder, followed by a Follower on a hand-driven clock (no threads)."""
    logs = tmp_path / "logs"
    logs.mkdir()
    f = logs / "messages"
    f.write_bytes(b"")
    clock = _Clock()
    follower = Follower([logs], SIGNATURES, {}, monotonic=clock)
    follower.rescan()
    return logs, f, clock, follower


def test_follower_keeps_a_rotated_file_until_it_has_been_quiet(tmp_path):
    logs, f, clock, follower = _following(tmp_path)
    assert _read_all(follower) == []
    append(f, lines(1, 3))
    assert _read_all(follower) == ["1", "2"]
    os.rename(f, logs / "messages.1")
    f.write_bytes(lines(3, 4))
    assert _read_all(follower) == ["3"]
    assert len(follower.draining) == 1  # the renamed file is still followed
    clock.now += ROTATED_QUIET_SECONDS / 2
    append(logs / "messages.1", lines(4, 6))  # late lines, written before the PBX reopened its log
    assert _read_all(follower) == ["4", "5"]
    clock.now += ROTATED_QUIET_SECONDS * 0.9  # quiet, but not long enough since the last late line
    assert _read_all(follower) == [] and len(follower.draining) == 1
    clock.now += ROTATED_QUIET_SECONDS
    assert _read_all(follower) == [] and follower.draining == []  # quiet long enough: finished
    append(f, lines(6, 7))
    assert _read_all(follower) == ["6"]


def test_follower_finds_a_rotated_file_renamed_again(tmp_path):
    logs, f, clock, follower = _following(tmp_path)
    _read_all(follower)
    append(f, lines(1, 2))
    assert _read_all(follower) == ["1"]
    os.rename(f, logs / "messages.1")
    f.write_bytes(b"")
    assert _read_all(follower) == []
    os.rename(logs / "messages.1", logs / "messages.2")  # the next rotation came before the PBX went quiet
    append(logs / "messages.2", lines(2, 4))
    assert _read_all(follower) == []  # found again by its inode ...
    assert _read_all(follower) == ["2", "3"]  # ... and read under its new name
    clock.now += 2 * ROTATED_QUIET_SECONDS
    assert _read_all(follower) == [] and follower.draining == []
