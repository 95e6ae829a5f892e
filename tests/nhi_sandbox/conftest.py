"""Fixtures: one sandbox process per test module (fresh data dir), an HTTP session per test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest
from sandbox_env import Sandbox, start, stop

from clinicbox.runtime.processes import ProcessGroup


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    root: Path = tmp_path_factory.mktemp("nhi-sandbox")
    group = ProcessGroup(root / "logs")
    sbx = start(group, root / "data")
    try:
        yield sbx
    finally:
        stop(sbx)
        group.stop_all()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s
