"""The card control process over real HTTP, its card seen by CardService through real pcscd."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from clinicbox.runtime.pcscd import ensure_pcscd
from clinicbox.runtime.ports import free_port
from clinicbox.runtime.processes import ProcessGroup
from clinicbox_core.contracts.messages import CardInserted, CardRemoved
from devsim.card_control import CardControlError, control
from devsim.nhi_card import demo_card
from devsim.vpcd_slot import VPCD_READER_SLOT0, VirtualCardSlot
from edge_agent.card import CardReadReason

if TYPE_CHECKING:
    from conftest import CardRecorder

pytestmark = pytest.mark.hardware


@pytest.fixture(scope="module")
def control_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One running ``python -m devsim.card_control`` for the module; SIGTERM at the end."""
    ensure_pcscd()
    port = free_port()
    group = ProcessGroup(tmp_path_factory.mktemp("card_control") / "logs")
    try:
        group.python(
            "card_control",
            "devsim.card_control",
            "--control-port",
            str(port),
            ready_port=("127.0.0.1", port),
        )
        yield f"http://127.0.0.1:{port}"
    finally:
        group.stop_all()


@pytest.fixture
async def control_url(control_process: str) -> AsyncIterator[str]:
    yield control_process
    await control(control_process, "remove")  # every test leaves the slot empty, even failing


@pytest.fixture
async def watched(card_events: CardRecorder, control_url: str) -> CardRecorder:
    return card_events


async def test_insert_state_remove_over_http(watched: CardRecorder, control_url: str) -> None:
    state = await control(control_url, "state")
    assert state["inserted"] is False and state["card"] is None

    card = {
        "name": "林志明",
        "id_no": "A234567890",
        "birth_date": "1978-04-09",
        "sex": "M",
        "card_no": "000011112222",
    }
    state = await control(control_url, "insert", card)
    assert state["inserted"] is True
    assert state["kind"] == "nhi"
    assert state["card"] == {**card, "issue_date": demo_card().issue_date.isoformat()}

    event = await watched.next_event()
    assert isinstance(event, CardInserted)
    assert event.reader == VPCD_READER_SLOT0
    assert event.card.name == "林志明"
    assert event.card.id_no == "A234567890"
    assert event.card.birth_date == date(1978, 4, 9)
    assert event.card.card_no == "000011112222"

    assert (await control(control_url, "state"))["inserted"] is True
    state = await control(control_url, "remove")
    assert state["inserted"] is False
    assert isinstance(await watched.next_event(), CardRemoved)


async def test_insert_with_no_body_inserts_the_demo_card(
    watched: CardRecorder, control_url: str
) -> None:
    await control(control_url, "insert")
    event = await watched.next_event()
    assert isinstance(event, CardInserted)
    assert event.card == demo_card()


async def test_card_kinds_over_http(watched: CardRecorder, control_url: str) -> None:
    await control(control_url, "insert", {"kind": "foreign"})
    error = await watched.next_error()
    assert error.reason is CardReadReason.NOT_NHI_CARD

    state = await control(control_url, "insert", {"kind": "nhi_t0", "name": "張三"})
    assert state["kind"] == "nhi_t0"
    t0_card = await watched.next_event()  # no CardRemoved: the foreign card was never reported
    assert isinstance(t0_card, CardInserted) and t0_card.card.name == "張三"

    await control(control_url, "insert", {"kind": "nhi_slj52g", "name": "李四"})
    assert isinstance(await watched.next_event(), CardRemoved)
    new_card = await watched.next_event()
    assert isinstance(new_card, CardInserted) and new_card.card.name == "李四"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "王😀"}, "name"),
        ({"name": "王小明王小明王小明王小"}, "name"),
        ({"id_no": "a123456789"}, "id_no"),
        ({"card_no": "12345"}, "card_no"),
        ({"birth_date": "1990-02-30"}, "birth_date"),
        ({"birth_date": "1900-01-01"}, "birth_date"),
        ({"sex": "X"}, "sex"),
        ({"kind": "bank"}, "kind"),
        ({"nickname": "x"}, "nickname"),
        ({"birth_date": "2020-01-01", "issue_date": "2019-01-01"}, "body"),
    ],
)
async def test_invalid_insert_is_a_400_naming_the_field(
    control_url: str, body: dict[str, str], field: str
) -> None:
    with pytest.raises(CardControlError) as caught:
        await control(control_url, "insert", body)
    assert caught.value.status == 400
    assert caught.value.message_key == "error.validation"
    assert caught.value.params["field"] == field
    assert (await control(control_url, "state"))["inserted"] is False


async def test_unreachable_control_process_is_a_card_control_error() -> None:
    with pytest.raises(CardControlError) as caught:
        await control(f"http://127.0.0.1:{free_port()}", "state")
    assert "url" in caught.value.params


async def test_sigterm_removes_the_card(
    tmp_path: Path, card_events: CardRecorder, slot: VirtualCardSlot
) -> None:
    port = free_port()
    group = ProcessGroup(tmp_path / "logs")
    try:
        group.python(
            "card_control",
            "devsim.card_control",
            "--control-port",
            str(port),
            ready_port=("127.0.0.1", port),
        )
        await control(f"http://127.0.0.1:{port}", "insert")
        assert isinstance(await card_events.next_event(), CardInserted)
        await asyncio.to_thread(group.stop, "card_control")
        assert isinstance(await card_events.next_event(), CardRemoved)
    finally:
        group.stop_all()
