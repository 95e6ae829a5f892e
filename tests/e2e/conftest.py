"""The whole system as separate OS processes (broker, pcscd + virtual card, virtual printer,
cloud, box), started the way ``clinicbox demo`` starts them, in a temporary directory."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from clinicbox.demo import DemoStack


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoStack]:
    demo = DemoStack(tmp_path_factory.mktemp("e2e"))
    try:
        demo.start_all()
        yield demo
    finally:
        demo.stop_all()
