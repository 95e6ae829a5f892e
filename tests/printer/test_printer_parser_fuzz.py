"""The virtual printer's parser and stream never crash or hang, whatever the bytes."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devsim.escpos_model import EscposParseError, ImageRow, QrRow, TextRow
from devsim.escpos_parse import MAX_JOB_BYTES, parse_job
from devsim.escpos_session import JobStream, PrinterState
from devsim.escpos_tokens import Text, tokenize

# Fragments that start real commands, so random streams reach the length-reading code paths.
PREFIXES = [
    b"\x1b",
    b"\x1d",
    b"\x1c",
    b"\x10",
    b"\x10\x04",
    b"\x1b@",
    b"\x1b!",
    b"\x1d!",
    b"\x1dv0",
    b"\x1d(k",
    b"\x1d(k\x03\x001P0",
    b"\x1d(k\x03\x001Q0",
    b"\x1dV",
    b"\x1dk",
    b"\x1b*",
    b"\x1d8L",
    b"\x1c&",
    b"\x1c.",
    b"\n",
    b"\x1bd",
    b"\x10\x14",
    "藥".encode("big5"),
    b"\xa4",
]
STREAMS = st.lists(st.one_of(st.sampled_from(PREFIXES), st.binary(max_size=6)), max_size=60).map(
    b"".join
)
ANY_BYTES = st.one_of(st.binary(max_size=3000), STREAMS)


@given(ANY_BYTES)
@settings(max_examples=500)
def test_parser_returns_a_job_for_any_bytes(data: bytes) -> None:
    job = parse_job(data)
    for row in job.rows:
        assert isinstance(row.text, str)
        if isinstance(row, ImageRow) and row.bits is not None:
            assert len(row.bits) == row.width // 8 * row.height
    assert isinstance(job.text_lines(), list)


@given(ANY_BYTES)
def test_tokens_cover_every_byte_once(data: bytes) -> None:
    tokens, end = tokenize(data, 0, final=True)
    assert end == len(data)
    position = 0
    for token in tokens:
        assert token.start == position and token.end > token.start
        position = token.end
    assert position == len(data)


@given(ANY_BYTES, st.lists(st.integers(min_value=1, max_value=50), max_size=30))
def test_tokenizing_in_chunks_finds_the_same_commands(data: bytes, cuts: list[int]) -> None:
    """What arrives in pieces over a socket is read as if it had come at once."""
    whole = [t for t in tokenize(data, 0, final=True)[0] if not isinstance(t, Text)]
    pieces: list[object] = []
    buf, pos, offset = b"", 0, 0
    for size in [*cuts, len(data)]:
        buf += data[offset : offset + size]
        offset += size
        tokens, pos = tokenize(buf, pos, final=offset >= len(data))
        pieces += [t for t in tokens if not isinstance(t, Text)]
        if offset >= len(data):
            break
    assert pieces == whole


@given(ANY_BYTES, st.lists(st.integers(min_value=1, max_value=50), max_size=30))
def test_stream_splits_jobs_without_losing_bytes(data: bytes, cuts: list[int]) -> None:
    stream = JobStream(PrinterState())
    offset = 0
    for size in [*cuts, len(data)]:
        stream.feed(data[offset : offset + size])
        offset += size
    stream.close()
    jobs = stream.take_jobs()
    joined = b"".join(jobs)
    assert data.startswith(joined)
    assert all(job for job in jobs)
    for job in jobs[:-1]:
        assert parse_job(job).cut


def test_text_qr_and_styles_are_understood() -> None:
    data = (
        b"\x1b@\x1ba\x01\x1bE\x01\x1d!\x11\x1c&" + "藥袋".encode("big5") + b"\x1c.\n"
        b"\x1b!\x00\x1ba\x00plain\n"
        b"\x1d(k\x04\x001A2\x00\x1d(k\x03\x001C\x05\x1d(k\x03\x001E1"
        b"\x1d(k\x07\x001P0abcd\x1d(k\x03\x001Q0\x1dV\x00"
    )
    job = parse_job(data)
    first, second, qr = job.rows[0], job.rows[1], job.rows[2]
    assert isinstance(first, TextRow) and first.text == "藥袋" and first.align == "center"
    assert first.runs[0].bold and first.runs[0].width == 2 and first.runs[0].double_byte
    assert isinstance(second, TextRow) and second.text == "plain" and not second.runs[0].bold
    assert isinstance(qr, QrRow) and (qr.data, qr.module_size, qr.error_correction) == (
        "abcd",
        5,
        "M",
    )
    assert job.cut and job.warnings == ()


def test_unknown_and_truncated_commands_are_warnings() -> None:
    job = parse_job(b"ok\n\x1b\xff\x07\x1dv0\x00\xff\xff\xff\xff")
    assert job.text_lines() == ["ok"]
    assert len(job.warnings) == 3, job.warnings


def test_status_requests_are_answered_mid_job() -> None:
    state = PrinterState(paper="out")
    stream = JobStream(state)
    assert stream.feed(b"\x10\x04\x01\x10\x04\x02\x10\x04") == bytes([0x1A, 0x32])
    assert stream.feed(b"\x04abc\n\x1dV\x00rest") == bytes([0x7E])
    stream.close()
    assert stream.take_jobs() == [b"\x10\x04\x01\x10\x04\x02\x10\x04\x04abc\n\x1dV\x00", b"rest"]


def test_too_large_input_is_our_typed_error() -> None:
    with pytest.raises(EscposParseError):
        parse_job(bytes(MAX_JOB_BYTES + 1))
