"""The staged-rollout decision, pure: given a rollout's parameters and its boxes' states,
which boxes to send next, whether to abort, whether it is done.

Parameters (AWS IoT jobs: ``maximumPerMinute``, abort ``thresholdPercentage`` over
``minNumberOfExecutedThings``; hawkBit: groups start after the previous one succeeded):

- ``canary_count`` boxes go first; the rest (``main``) start only when every canary finished
  without reaching the abort threshold.
- At most ``rate_per_minute`` boxes are sent in any 60 s window.
- Abort when ``failed / finished >= abort_failure_pct`` once at least ``min_executed`` boxes
  finished; during the canary phase the minimum is capped at the canary count (a failing canary
  is never waved through because the canary group is smaller than ``min_executed``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

FINISHED = frozenset({"succeeded", "failed"})


@dataclass(frozen=True, slots=True)
class BoxState:
    box_id: str
    phase: str  # canary | main
    position: int
    state: str  # pending | sent | trying | succeeded | failed
    sent_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Params:
    canary_count: int
    rate_per_minute: int
    abort_failure_pct: int
    min_executed: int


@dataclass(frozen=True, slots=True)
class Decision:
    send: list[str] = field(default_factory=list)
    abort_reason: str | None = None
    done: bool = False


def _failure_abort(boxes: Sequence[BoxState], p: Params) -> str | None:
    finished = [b for b in boxes if b.state in FINISHED]
    failed = sum(1 for b in finished if b.state == "failed")
    if not failed:
        return None
    main_started = any(b.phase == "main" and b.state != "pending" for b in boxes)
    canaries = sum(1 for b in boxes if b.phase == "canary")
    needed = p.min_executed if main_started or not canaries else min(p.min_executed, canaries)
    if len(finished) >= needed and failed * 100 >= p.abort_failure_pct * len(finished):
        return "failure_threshold" if main_started else "canary_failed"
    return None


def decide(boxes: Sequence[BoxState], p: Params, now: datetime) -> Decision:
    reason = _failure_abort(boxes, p)
    if reason is not None:
        return Decision(abort_reason=reason)
    if boxes and all(b.state in FINISHED for b in boxes):
        return Decision(done=True)
    window_start = now - timedelta(seconds=60)
    recent = sum(1 for b in boxes if b.sent_at is not None and b.sent_at > window_start)
    room = max(0, p.rate_per_minute - recent)
    canary = [b for b in boxes if b.phase == "canary"]
    if any(b.state not in FINISHED for b in canary):
        pending = [b for b in canary if b.state == "pending"]
    else:
        pending = [b for b in boxes if b.phase == "main" and b.state == "pending"]
    pending.sort(key=lambda b: b.position)
    return Decision(send=[b.box_id for b in pending[:room]])
