"""One small fleet per module: broker, cloud (with a signing key, fast rollout ticks) and three
boxes on simulated A/B layouts."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fleet_updates_helpers import Fleet

from clinicbox.demo import DemoStack
from clinicbox_core.bundles import SigningKey

BOXES = ["fleet-1", "fleet-2", "fleet-3"]


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    root = tmp_path_factory.mktemp("fleet")
    stack = DemoStack(root / "stack")
    key = SigningKey.generate()
    stack.workdir.mkdir(parents=True, exist_ok=True)
    try:
        stack.start_broker()
        stack.prepare_database()
        stack.start_cloud(
            fleet_updates={
                "signing_key": key.private_b64,
                "public_url": stack.url,
                "rollout_tick_s": 0.5,
                "box_timeout_s": 300,
            }
        )
        fleet = Fleet(stack, key, root / "boxes")
        for box in BOXES:
            fleet.start_box(box)
        yield fleet
    finally:
        stack.stop_all()
