"""Commands cloud → box and results box → cloud, through the real broker."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

from linkkit import TENANT, box_settings, cloud_mqtt, wait_until
from sqlalchemy.ext.asyncio import AsyncEngine

from clinicbox.runtime.mosquitto import MosquittoBroker
from clinicbox_core.contracts import Command, CommandResult, PrintJob
from clinicbox_core.errors import DeviceError
from clinicbox_core.printdoc.model import PrintDocument, TextLine
from cloud_plane.boxlink import BoxCommander, BoxInbox
from edge_agent.link import CloudLink
from edge_agent.outbox import AsyncOutbox


class PaperOut(DeviceError):
    default_key = "error.printer.paper_out"


def _job(printer: str) -> Command:
    doc = PrintDocument(title="藥袋", blocks=[TextLine(text="王小明")])
    return Command(body=PrintJob(job_id=uuid.uuid4(), printer=printer, document=doc))


async def test_print_command_runs_once_and_its_result_reaches_the_cloud(
    broker: MosquittoBroker, engine: AsyncEngine, tmp_path: Path
) -> None:
    ran: list[uuid.UUID] = []

    async def on_command(command: Command) -> CommandResult:
        ran.append(command.command_id)
        assert isinstance(command.body, PrintJob)
        if command.body.printer == "receipt":
            raise PaperOut(printer="receipt")
        return CommandResult(command_id=command.command_id, box_id="box-c", ok=True)

    results: list[tuple[str, CommandResult]] = []

    async def on_result(tenant: str, result: CommandResult) -> None:
        results.append((tenant, result))

    outbox = await AsyncOutbox.open(tmp_path / "o.db", "box-c")
    link = CloudLink(box_settings(broker, "box-c", tmp_path), outbox, on_command)
    inbox = BoxInbox(
        engine, cloud_mqtt(broker, "cloud-1"), "cloud-1", {}, on_command_result=on_result
    )
    commander = BoxCommander(inbox)
    good, bad = _job("drugbag"), _job("receipt")
    tasks = [asyncio.create_task(inbox.run()), asyncio.create_task(link.run())]
    try:
        await inbox.wait_connected()
        await link.wait_connected()
        await commander.send(TENANT, "box-c", good)
        await commander.send(TENANT, "box-c", good)  # redelivered: answered, not run again
        await commander.send(TENANT, "box-c", bad)

        async def three_results() -> bool:
            return len(results) >= 3

        await wait_until(three_results)
    finally:
        await link.stop()
        await inbox.stop()
        await asyncio.gather(*tasks)
        await outbox.close()
    by_id = {r.command_id: r for _, r in results}
    print(f"commands run on box={len(ran)} results in cloud={len(results)}")
    assert ran.count(good.command_id) == 1 and ran.count(bad.command_id) == 1
    assert {t for t, _ in results} == {TENANT}
    assert by_id[good.command_id].ok is True
    assert by_id[bad.command_id].ok is False
    assert by_id[bad.command_id].error_code == "error.printer.paper_out"


async def test_sending_while_disconnected_raises_a_typed_error(
    broker: MosquittoBroker, engine: AsyncEngine
) -> None:
    from cloud_plane.boxlink import BoxLinkUnavailable

    inbox = BoxInbox(engine, cloud_mqtt(broker, "cloud-1"), "cloud-1", {})
    try:
        await BoxCommander(inbox).send(TENANT, "box-c", _job("drugbag"))
    except BoxLinkUnavailable as exc:
        assert exc.params["box_id"] == "box-c"
    else:
        raise AssertionError("expected BoxLinkUnavailable")
