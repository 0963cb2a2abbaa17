"""Answers judged before. A client polling a task gets the same bytes again and again
until something changes, so the proxy keeps, for the last ``SIZE`` distinct small JSON
answers, what checking their body and rewriting their links gave; a repeat costs a hash
of its bytes and a lookup instead of a parse, a schema check, a walk for undocumented
fields and a rewrite. Keyed by the exact bytes (with the operation, the status and
whether the body was read as text), so a changed answer is judged afresh; the head of
every answer (status, headers, media type) is checked every time."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from .drift import Violation

__all__ = ["AnswerMemo", "Judged", "MemoKey"]

SIZE = 256  # answers
MAX_BODY = 32 << 10  # bytes: larger answers are judged every time (memory stays < 16 MiB)

MemoKey = tuple[str | None, int, bool, bytes]  # operation, status, textual, body


@dataclass(frozen=True, slots=True)
class Judged:
    """What one answer's body gave: its findings and the text sent on (links rewritten;
    ``json``: the body parsed, so a recording redacts it as JSON)."""

    findings: tuple[Violation, ...]
    out_body: bytes
    json: bool


class AnswerMemo:
    """The last ``size`` judged answers, least recently used dropped first."""

    def __init__(self, size: int = SIZE, max_body: int = MAX_BODY) -> None:
        self.size = size
        self.max_body = max_body
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[MemoKey, Judged] = OrderedDict()

    def get(self, key: MemoKey) -> Judged | None:
        judged = self._entries.get(key)
        if judged is None:
            self.misses += 1
            return None
        self.hits += 1
        self._entries.move_to_end(key)
        return judged

    def put(self, key: MemoKey, judged: Judged) -> None:
        if len(key[3]) > self.max_body or self.size <= 0:
            return
        self._entries[key] = judged
        self._entries.move_to_end(key)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)
