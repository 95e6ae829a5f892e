"""The scanner's line splitting: codes come back whatever the chunking and line ends, and any
byte stream (fuzz) yields only whole printable-ASCII codes within the length limit."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from edge_agent.scanner import LineSplitter

codes = st.lists(
    st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=60),
    max_size=10,
)
ends = st.sampled_from([b"\r", b"\n", b"\r\n"])


@given(
    codes=codes, ends=st.lists(ends, min_size=10, max_size=10), cuts=st.lists(st.integers(0, 800))
)
def test_codes_survive_any_chunking(codes: list[str], ends: list[bytes], cuts: list[int]) -> None:
    stream = b"".join(c.encode("ascii") + e for c, e in zip(codes, ends, strict=False))
    splitter = LineSplitter(max_length=100)
    got: list[str] = []
    last = 0
    for cut in [*sorted({c % (len(stream) + 1) for c in cuts}), len(stream)]:
        got += splitter.feed(stream[last:cut])
        last = cut
    assert got == codes


@given(st.binary(max_size=3000))
def test_any_bytes_give_only_whole_printable_codes(data: bytes) -> None:
    splitter = LineSplitter(max_length=50)
    for code in splitter.feed(data):
        assert 0 < len(code) <= 50
        assert all(0x20 <= ord(ch) <= 0x7E for ch in code)


def test_garbled_and_overlong_lines_are_dropped_whole() -> None:
    splitter = LineSplitter(max_length=8)
    assert splitter.feed(b"OK1\r\nBA\xffD\r\n" + b"X" * 20 + b"\nOK2\n") == ["OK1", "OK2"]
    assert splitter.dropped == 2
