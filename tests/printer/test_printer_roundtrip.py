"""render (edge agent) → parse_job (virtual printer): what is printed is what the document says."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from clinicbox_core.printdoc.model import (
    Align,
    Blank,
    Block,
    Cut,
    PrintDocument,
    QrCode,
    Rule,
    TextLine,
)
from devsim.escpos_model import CutRow, ImageRow, QrRow, Row, TextRow
from devsim.escpos_parse import parse_job
from edge_agent.config import PrinterSettings
from edge_agent.printer.render import cell_dots, render
from edge_agent.printer.text import needs_raster, printable_lines, text_width, wrap_cells

BIG5_CJK = "藥袋診所王小明先生飯後服用一天三次每日睡前外用，。：（）　"
NOT_BIG5 = "堃喆犇峯銹珉赟𠀋"
CHARS = st.one_of(
    st.characters(min_codepoint=0x20, max_codepoint=0x7E),
    st.sampled_from(BIG5_CJK),
    st.sampled_from(NOT_BIG5),
    st.sampled_from("\n\t"),
)
TEXT_LINES = st.builds(
    TextLine,
    text=st.text(CHARS, max_size=120),
    bold=st.booleans(),
    double=st.booleans(),
    align=st.sampled_from(list(Align)),
)
BLOCKS: st.SearchStrategy[Block] = st.one_of(
    TEXT_LINES,
    st.builds(Rule),
    st.builds(Blank, lines=st.integers(1, 3)),
    st.builds(
        QrCode, data=st.text(st.sampled_from("ABCxyz0123:/.?=藥袋"), min_size=1, max_size=80)
    ),
    st.builds(Cut),
)
DOCS = st.builds(PrintDocument, title=st.just("t"), blocks=st.lists(BLOCKS, max_size=12))
PRINTERS = st.builds(
    PrinterSettings,
    name=st.just("p"),
    columns=st.sampled_from([32, 42, 48, 64]),
    cjk_mode=st.sampled_from(["big5", "raster"]),
)


@dataclass(frozen=True)
class Want:
    """One row the document should print: text, image of ``line``, qr of ``line``, or cut."""

    kind: str
    line: str = ""
    block: TextLine | None = None


def expected_rows(doc: PrintDocument, printer: PrinterSettings) -> list[Want]:
    rows: list[Want] = []
    for block in doc.blocks:
        if isinstance(block, TextLine):
            width = printer.columns // 2 if block.double else printer.columns
            for source in printable_lines(block.text):
                for line in wrap_cells(source, width):
                    raster = line and (printer.cjk_mode == "raster" or needs_raster(line))
                    rows.append(Want("image" if raster else "text", line, block))
        elif isinstance(block, Rule):
            rows.append(Want("text", "-" * printer.columns))
        elif isinstance(block, Blank):
            rows.extend([Want("text")] * block.lines)
        elif isinstance(block, QrCode):
            rows += [Want("qr", block.data), Want("text")]
        elif isinstance(block, Cut):
            rows += [Want("text")] * 6 + [Want("cut")]
    return rows


def check_row(row: Row, want: Want, printer: PrinterSettings) -> None:
    block = want.block
    if want.kind == "cut":
        assert isinstance(row, CutRow)
    elif want.kind == "qr":
        assert isinstance(row, QrRow) and row.data == want.line
        assert row.module_size * 21 <= printer.columns * cell_dots(printer.columns)
    elif want.kind == "text":
        assert isinstance(row, TextRow) and row.text == want.line
        if block is not None and want.line:
            assert row.align == block.align.value
            assert all(run.bold == block.bold for run in row.runs)
            assert all(run.width == run.height == (2 if block.double else 1) for run in row.runs)
    else:
        assert isinstance(row, ImageRow) and row.bits is not None and block is not None
        scale = 2 if block.double else 1
        dots = cell_dots(printer.columns)
        assert row.width == max(8, -(-text_width(want.line) * dots * scale // 8) * 8)
        assert row.height == 2 * dots * scale + dots // 2
        assert row.width <= printer.columns * dots
        if want.line.strip():
            assert any(row.bits), f"raster of {want.line!r} has no ink"


@given(DOCS, PRINTERS)
@settings(max_examples=150, deadline=None)
def test_every_document_prints_as_written(doc: PrintDocument, printer: PrinterSettings) -> None:
    job = parse_job(render(doc, printer))
    assert job.warnings == ()
    expected = expected_rows(doc, printer)
    assert len(job.rows) == len(expected), job.text_lines()
    for row, want in zip(job.rows, expected, strict=True):
        check_row(row, want, printer)


@given(
    st.text(
        st.one_of(st.characters(min_codepoint=0x20, max_codepoint=0x7E), st.sampled_from(BIG5_CJK)),
        max_size=300,
    )
)
@settings(deadline=None)
def test_big5_text_comes_back_whole(text: str) -> None:
    """Independent of the wrapping rule: the printed rows joined are the text itself."""
    printer = PrinterSettings(name="p")
    job = parse_job(render(PrintDocument(title="t", blocks=[TextLine(text=text)]), printer))
    assert "".join(job.text_lines()) == text
    assert all(text_width(line) <= printer.columns for line in job.text_lines())


def test_chinese_lines_are_sent_as_big5_in_chinese_mode() -> None:
    doc = PrintDocument(title="t", blocks=[TextLine(text="藥袋 A")])
    data = render(doc, PrinterSettings(name="p"))
    assert b"\x1c&" + "藥袋 A".encode("big5") + b"\x1c.\n" in data


def test_rare_name_character_is_an_image_not_a_question_mark() -> None:
    doc = PrintDocument(title="t", blocks=[TextLine(text="王小堃")])
    data = render(doc, PrinterSettings(name="p"))
    assert b"\x1dv0" in data
    assert parse_job(data).text_lines() == ["[image 72x30]"]
    assert b"?" not in data.split(b"\x1dv0")[0]
