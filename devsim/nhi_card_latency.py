"""Measure how long a virtual NHI card takes from ``insert()`` to the ``CardInserted`` callback.

``python -m devsim.nhi_card_latency [--cycles 20] [--no-quickack]`` runs the real path (vpcd
socket, pcscd, PC/SC client, our monitor thread and reader) and prints percentiles. Each cycle
starts at a random moment, so pcscd's 400 ms driver poll is sampled at every phase. A tool for
people, not a test: nothing asserts on these numbers.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time

from clinicbox.runtime.pcscd import ensure_pcscd
from clinicbox_core.contracts.messages import CardInserted, CardRemoved
from devsim.nhi_card import VirtualNhiCard, demo_card
from devsim.vpcd_slot import VPCD_READER_SLOT0, VirtualCardSlot
from edge_agent.card import CardService
from edge_agent.config import CardSettings

TIMEOUT = 10.0


def _summary(label: str, values: list[float]) -> str:
    ms = sorted(v * 1000 for v in values)
    p90 = ms[min(len(ms) - 1, round(0.9 * (len(ms) - 1)))]
    return (
        f"{label:<34} min {ms[0]:6.1f}  median {statistics.median(ms):6.1f}  "
        f"p90 {p90:6.1f}  max {ms[-1]:6.1f} ms"
    )


async def measure(cycles: int, quickack: bool) -> None:
    await asyncio.to_thread(ensure_pcscd)
    events: asyncio.Queue[tuple[float, CardInserted | CardRemoved]] = asyncio.Queue()

    async def on_event(event: CardInserted | CardRemoved) -> None:
        events.put_nowait((time.perf_counter(), event))

    service = CardService(CardSettings(reader_filter=VPCD_READER_SLOT0), on_event)
    task = asyncio.create_task(service.run())
    to_event: list[float] = []
    to_reader: list[float] = []
    read_part: list[float] = []
    try:
        async with VirtualCardSlot(quickack=quickack) as slot:
            for _ in range(cycles):
                await asyncio.sleep(random.uniform(0.0, 0.45))
                start = time.perf_counter()
                await slot.insert(VirtualNhiCard(demo_card()))
                seen = time.perf_counter()
                at, event = await asyncio.wait_for(events.get(), TIMEOUT)
                if not isinstance(event, CardInserted):
                    raise RuntimeError(f"expected CardInserted, got {event}")
                to_event.append(at - start)
                to_reader.append(seen - start)
                read_part.append(at - seen)
                await slot.remove()
                await asyncio.wait_for(events.get(), TIMEOUT)
    finally:
        service.stop()
        await task
    print(f"{cycles} cycles, TCP_QUICKACK {'on' if quickack else 'off'}")
    print(_summary("insert() → CardInserted callback", to_event))
    print(_summary("insert() → PC/SC reports the card", to_reader))
    print(_summary("PC/SC reports → CardInserted", read_part))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m devsim.nhi_card_latency")
    parser.add_argument("--cycles", type=int, default=20)
    parser.add_argument("--no-quickack", action="store_true")
    args = parser.parse_args()
    asyncio.run(measure(args.cycles, quickack=not args.no_quickack))


if __name__ == "__main__":
    main()
