"""A private pcscd per test run or demo: its own socket, its own vpcd port, no cross-talk.

Checked across real processes: a second private pcscd in a child Python process lists its own
reader, and a card inserted into this run's reader is not seen there.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from clinicbox.runtime.pcscd import SOCKET_ENV, VPCD_PORT_ENV, vpcd_port
from clinicbox.runtime.pcscd_private import active_private_pcscd
from devsim.nhi_card import VirtualNhiCard, demo_card
from devsim.vpcd_slot import VPCD_READER_SLOT0, VirtualCardSlot

# Runs in a fresh interpreter with no PC/SC environment: starts its own private pcscd, reports
# its port, its readers and whether its first reader holds a card.
CHILD = """
import json, sys
from pathlib import Path
from clinicbox.runtime.pcscd import list_readers, wait_card_state
from clinicbox.runtime.pcscd_private import start_private_pcscd
daemon = start_private_pcscd(Path(sys.argv[1]))
try:
    readers = list_readers() or []
    present = wait_card_state(readers[0], present=True, timeout=1.5) if readers else None
    print(json.dumps({"port": daemon.vpcd_port, "readers": readers, "present": present}))
finally:
    daemon.stop()
"""

pytestmark = pytest.mark.skipif(
    active_private_pcscd() is None, reason="needs root for a private pcscd (mount namespace)"
)


async def test_two_private_pcscd_do_not_share_a_card(tmp_path: Path) -> None:
    assert os.environ[VPCD_PORT_ENV] == str(vpcd_port())
    async with VirtualCardSlot() as slot:
        await slot.insert(VirtualNhiCard(demo_card()))
        env = {k: v for k, v in os.environ.items() if k not in (SOCKET_ENV, VPCD_PORT_ENV)}
        out = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-c", CHILD, str(tmp_path / "other")],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
    other = json.loads(out.stdout.strip().splitlines()[-1])
    assert other["port"] != vpcd_port()
    assert VPCD_READER_SLOT0 in other["readers"]
    # our card is in our reader only: the other daemon's reader stays empty
    assert other["present"] is False
