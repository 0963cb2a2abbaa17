"""cuid-like ids (``c`` + 24 lowercase base36 chars), drawn from the state's seeded RNG."""

from __future__ import annotations

import random

__all__ = ["IdFactory"]

_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


class IdFactory:
    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._counter = 0

    def new(self, now: float) -> str:
        self._counter += 1
        stamp = _base36(int(now * 1000)).rjust(8, "0")[-8:]
        count = _base36(self._counter).rjust(4, "0")[-4:]
        tail = "".join(self._rng.choice(_ALPHABET) for _ in range(12))
        return f"c{stamp}{count}{tail}"


def _base36(n: int) -> str:
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = _ALPHABET[r] + out
        if n == 0:
            return out
