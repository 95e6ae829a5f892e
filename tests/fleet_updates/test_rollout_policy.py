"""The staged-rollout decision (pure): canary first, the rate, the abort threshold, done."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from cloud_plane.fleet_updates.policy import FINISHED, BoxState, Params, decide

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
STATES = ["pending", "sent", "trying", "succeeded", "failed"]


def fleet(states: list[str], canary: int, sent_ago_s: int = 600) -> list[BoxState]:
    return [
        BoxState(
            f"b{i}",
            "canary" if i < canary else "main",
            i,
            s,
            None if s == "pending" else NOW - timedelta(seconds=sent_ago_s),
        )
        for i, s in enumerate(states)
    ]


params_st = st.builds(
    Params,
    canary_count=st.integers(0, 5),
    rate_per_minute=st.integers(1, 10),
    abort_failure_pct=st.integers(1, 100),
    min_executed=st.integers(1, 10),
)


@given(st.lists(st.sampled_from(STATES), min_size=1, max_size=15), params_st, st.integers(0, 120))
@settings(deadline=None)  # no timing assertions in tests (shared, loaded CI machine)
def test_decision_invariants(states: list[str], p: Params, ago: int) -> None:
    canary = min(p.canary_count, len(states))
    boxes = fleet(states, canary, ago)
    d = decide(boxes, p, NOW)
    by_id = {b.box_id: b for b in boxes}
    # Only pending boxes are sent, never more than the rate allows in the last minute.
    assert all(by_id[x].state == "pending" for x in d.send)
    recent = sum(
        1 for b in boxes if b.sent_at is not None and b.sent_at > NOW - timedelta(seconds=60)
    )
    assert len(d.send) <= max(0, p.rate_per_minute - recent)
    # No main box is sent while a canary has not finished.
    if any(b.phase == "canary" and b.state not in FINISHED for b in boxes):
        assert all(by_id[x].phase == "canary" for x in d.send)
    # Abort and send never come together; done only when everything finished.
    assert not (d.abort_reason and d.send)
    if d.done:
        assert all(b.state in FINISHED for b in boxes)
    if not any(b.state == "failed" for b in boxes):
        assert d.abort_reason is None


P = Params(canary_count=1, rate_per_minute=60, abort_failure_pct=50, min_executed=5)


def test_a_failed_canary_aborts_even_below_min_executed() -> None:
    d = decide(fleet(["failed", "pending", "pending"], 1), P, NOW)
    assert d.abort_reason == "canary_failed" and d.send == []


def test_canary_first_then_main_at_the_rate() -> None:
    assert decide(fleet(["pending"] * 4, 1), P, NOW).send == ["b0"]
    assert decide(fleet(["sent", "pending", "pending"], 1), P, NOW).send == []
    slow = Params(1, 2, 50, 5)
    assert decide(fleet(["succeeded"] + ["pending"] * 4, 1), slow, NOW).send == ["b1", "b2"]
    # Two sent within the last minute use up the rate.
    recent = fleet(["succeeded", "sent", "sent", "pending"], 1, sent_ago_s=10)
    assert decide(recent, slow, NOW).send == []


def test_threshold_over_min_executed_in_the_main_stage() -> None:
    states = ["succeeded", "succeeded", "failed", "succeeded", "succeeded", "pending"]
    assert decide(fleet(states, 1), Params(1, 60, 20, 5), NOW).abort_reason == "failure_threshold"
    assert decide(fleet(states, 1), Params(1, 60, 25, 5), NOW).abort_reason is None
    assert decide(fleet(states, 1), Params(1, 60, 20, 6), NOW).abort_reason is None


def test_done_when_all_finished_below_threshold() -> None:
    assert decide(fleet(["succeeded"] * 3, 1), P, NOW).done
