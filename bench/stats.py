"""Percentiles and a uniform way to print a benchmark line."""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(samples: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty sample."""
    if not samples:
        raise ValueError("no samples")
    ordered = sorted(samples)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def summary_ms(samples: Sequence[float]) -> str:
    """``n=.. p50=.. p99=.. max=..`` for samples in seconds, printed in milliseconds."""
    return (
        f"n={len(samples)} p50={percentile(samples, 50) * 1000:.1f}ms "
        f"p99={percentile(samples, 99) * 1000:.1f}ms max={max(samples) * 1000:.1f}ms"
    )


def report(name: str, value: str) -> None:
    print(f"{name:<48} {value}", flush=True)
