"""AnswerMemo: the last N distinct answers, least recently used dropped first, large
answers never kept."""

from __future__ import annotations

from mock_server.proxy.drift import Violation
from mock_server.proxy.memo import AnswerMemo, Judged, MemoKey

FINDING = Violation("getTask", "response", "$.x", "type", "bad")


def key(body: bytes, status: int = 200) -> MemoKey:
    return ("getTask", status, True, body)


def judged(body: bytes) -> Judged:
    return Judged((FINDING,), body, True)


def test_recalls_what_it_was_given_by_exact_bytes_status_and_operation() -> None:
    memo = AnswerMemo(size=4)
    memo.put(key(b"{}"), judged(b"{}"))
    assert memo.get(key(b"{}")) == judged(b"{}")
    assert memo.get(key(b"{ }")) is None
    assert memo.get(key(b"{}", status=500)) is None
    assert memo.get(("listTasks", 200, True, b"{}")) is None
    assert (memo.hits, memo.misses) == (1, 3)


def test_the_least_recently_used_answer_goes_first() -> None:
    memo = AnswerMemo(size=2)
    memo.put(key(b"a"), judged(b"a"))
    memo.put(key(b"b"), judged(b"b"))
    assert memo.get(key(b"a")) is not None  # a is now the most recent
    memo.put(key(b"c"), judged(b"c"))
    assert len(memo) == 2
    assert memo.get(key(b"b")) is None
    assert memo.get(key(b"a")) is not None and memo.get(key(b"c")) is not None


def test_an_answer_above_the_cap_is_never_kept() -> None:
    memo = AnswerMemo(size=4, max_body=8)
    memo.put(key(b"x" * 8), judged(b"x"))
    memo.put(key(b"x" * 9), judged(b"x"))
    assert memo.get(key(b"x" * 8)) is not None
    assert memo.get(key(b"x" * 9)) is None
    off = AnswerMemo(size=0)
    off.put(key(b"a"), judged(b"a"))
    assert len(off) == 0
