"""Every SQL constant of the outbox uses an index (EXPLAIN QUERY PLAN never shows a full SCAN)."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge_agent.outbox import Outbox, queries


@pytest.mark.parametrize("name", sorted(queries.ALL))
def test_query_uses_an_index(tmp_path: Path, name: str) -> None:
    ob = Outbox(tmp_path / "o.db", "box-1")
    sql, params = queries.ALL[name]
    plan = [row[3] for row in ob.conn.execute(f"EXPLAIN QUERY PLAN {sql}", params).fetchall()]
    print(name, plan)
    assert not [step for step in plan if step.startswith("SCAN")], plan
    if sql.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE")):
        assert any("USING" in step for step in plan), plan


def test_every_constant_is_covered() -> None:
    constants = {
        name for name, value in vars(queries).items() if name.isupper() and isinstance(value, str)
    }
    assert constants == set(queries.ALL)
