"""Exponential reconnect back-off with full jitter, bounded by the configured min and max."""

from __future__ import annotations

import random


class Backoff:
    """``next()`` gives the wait before the next attempt; ``reset()`` after a success.

    Attempt n waits a uniform random time in ``[min_s, min(max_s, min_s * 2**n)]`` so a fleet of
    boxes that lost the broker together does not reconnect in lockstep.
    """

    def __init__(self, min_s: float, max_s: float, rng: random.Random | None = None) -> None:
        self.min_s = min_s
        self.max_s = max(max_s, min_s)
        self._attempt = 0
        self._rng = rng or random.Random()

    def next(self) -> float:
        ceiling = min(self.max_s, self.min_s * (2 ** min(self._attempt, 32)))
        self._attempt += 1
        return self._rng.uniform(self.min_s, ceiling)

    def reset(self) -> None:
        self._attempt = 0
