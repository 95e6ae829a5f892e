"""The virtual printer's interpreter: ESC/POS bytes in, the rows a printer would print out.

``parse_job(data)`` is a pure function so it can be fuzzed: whatever the bytes, it returns a
ParsedJob (unknown or malformed commands become warnings) or raises EscposParseError when the input
is larger than any job could be. It understands what clinicbox and most POS software send:
ESC @, ESC ! and GS ! (sizes), ESC E (bold), ESC a (alignment), FS & / FS . (Chinese mode, text
decoded as Big5; outside it code page 437), LF and ESC d (feeds), GS v 0 (raster images),
GS ( k (QR: store and print), GS V (cut) and DLE EOT (real-time status, recorded).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from devsim.escpos_model import (
    Align,
    CutRow,
    EscposParseError,
    ImageRow,
    ParsedJob,
    QrRow,
    Row,
    Run,
    TextRow,
)
from devsim.escpos_tokens import (
    Command,
    Ignored,
    LineFeed,
    Raster,
    StatusRequest,
    Text,
    Token,
    TwoD,
    Unknown,
    tokenize,
)

MAX_JOB_BYTES = 16 * 1024 * 1024
MAX_IMAGE_DOTS = 4096 * 4096  # larger images are listed but their bits are not kept
_ALIGN = {
    0: Align.LEFT,
    1: Align.CENTER,
    2: Align.RIGHT,
    48: Align.LEFT,
    49: Align.CENTER,
    50: Align.RIGHT,
}
_QR_EC = {48: "L", 49: "M", 50: "Q", 51: "H"}
QR = 49


@dataclass
class _Segment:
    data: bytearray
    bold: bool
    width: int
    height: int
    chinese: bool


@dataclass
class _State:
    """Printer modes and the line being collected; ESC @ puts a fresh one in place."""

    align: Align = Align.LEFT
    bold: bool = False
    width: int = 1
    height: int = 1
    chinese: bool = False
    qr_data: bytes | None = None
    qr_size: int = 3
    qr_ec: str = "L"
    line: list[_Segment] = field(default_factory=list)


class _Interpreter:
    def __init__(self) -> None:
        self.state = _State()
        self.rows: list[Row] = []
        self.warnings: list[str] = []
        self.status_requests: list[int] = []

    def feed(self, token: Token) -> None:
        if isinstance(token, Text):
            self._text(token.data)
        elif isinstance(token, LineFeed):
            self._flush(always=True)
        elif isinstance(token, Command):
            self._command(token)
        elif isinstance(token, Raster):
            self._raster(token)
        elif isinstance(token, TwoD):
            self._two_d(token)
        elif isinstance(token, StatusRequest):
            self.status_requests.append(token.n)
        elif isinstance(token, Unknown):
            self.warnings.append(token.reason)
        elif isinstance(token, Ignored) and "not drawn" in token.name:
            self.warnings.append(f"{token.name} at byte {token.start}")

    def finish(self) -> ParsedJob:
        if self.state.line:
            self.warnings.append("job ended inside a line (no LF)")
            self._flush(always=False)
        return ParsedJob(tuple(self.rows), tuple(self.warnings), tuple(self.status_requests))

    def _text(self, data: bytes) -> None:
        s = self.state
        last = s.line[-1] if s.line else None
        if last and (last.bold, last.width, last.height, last.chinese) == (
            s.bold,
            s.width,
            s.height,
            s.chinese,
        ):
            last.data.extend(data)
        else:
            s.line.append(_Segment(bytearray(data), s.bold, s.width, s.height, s.chinese))

    def _flush(self, *, always: bool) -> None:
        if not self.state.line and not always:
            return
        runs = tuple(self._decode(seg) for seg in self.state.line)
        self.rows.append(TextRow(runs, self.state.align))
        self.state.line = []

    def _decode(self, seg: _Segment) -> Run:
        raw = bytes(seg.data)
        if seg.chinese:
            try:
                text = raw.decode("big5")
            except UnicodeDecodeError:
                self.warnings.append(f"invalid Big5 bytes {raw[:16].hex()}")
                text = raw.decode("big5", errors="replace")
        else:
            text = raw.decode("cp437")
        return Run(text, seg.bold, seg.width, seg.height, seg.chinese)

    def _command(self, token: Command) -> None:
        s = self.state
        arg = token.args[0] if token.args else 0
        name = token.name
        if name == "ESC @":
            self.state = _State()
        elif name == "ESC !":
            s.bold, s.height, s.width = (
                bool(arg & 0x08),
                2 if arg & 0x10 else 1,
                2 if arg & 0x20 else 1,
            )
        elif name == "GS !":
            s.width, s.height = (arg >> 4 & 0x07) + 1, (arg & 0x07) + 1
        elif name == "ESC E":
            s.bold = bool(arg & 1)
        elif name == "ESC a":
            s.align = _ALIGN.get(arg, s.align)
        elif name == "FS &":
            s.chinese = True
        elif name == "FS .":
            s.chinese = False
        elif name == "ESC d":
            for _ in range(arg):
                self._flush(always=True)
        elif name == "GS V":
            self._flush(always=False)
            self.rows.append(CutRow(partial=arg in (1, 49, 66, 98, 104)))

    def _raster(self, token: Raster) -> None:
        self._flush(always=False)
        width, height = token.width_bytes * 8, token.height
        bits = token.data if 0 < width * height <= MAX_IMAGE_DOTS else None
        if bits is None:
            self.warnings.append(f"raster image {width}x{height} not kept")
        mode = token.mode & 0x03
        self.rows.append(
            ImageRow(
                width, height, bits, 2 if mode & 1 else 1, 2 if mode & 2 else 1, self.state.align
            )
        )

    def _two_d(self, token: TwoD) -> None:
        s = self.state
        if token.cn != QR:
            self.warnings.append(f"2D code type {token.cn} not drawn")
            return
        payload = token.payload
        if token.fn == 67 and payload:
            s.qr_size = payload[0]
        elif token.fn == 69 and payload:
            s.qr_ec = _QR_EC.get(payload[0], s.qr_ec)
        elif token.fn == 80 and payload:
            s.qr_data = payload[1:]
        elif token.fn == 81:
            self._flush(always=False)
            if not s.qr_data:
                self.warnings.append("QR print without stored data")
                return
            data = s.qr_data.decode("utf-8", errors="replace")
            self.rows.append(QrRow(data, s.qr_size, s.qr_ec, s.align))


def parse_job(data: bytes) -> ParsedJob:
    """Interpret one job's bytes. Never fails on content; too-large input is EscposParseError."""
    if len(data) > MAX_JOB_BYTES:
        raise EscposParseError(size=len(data), limit=MAX_JOB_BYTES)
    interpreter = _Interpreter()
    tokens, _ = tokenize(data, 0, final=True)
    for token in tokens:
        interpreter.feed(token)
    return interpreter.finish()
