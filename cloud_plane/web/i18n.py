"""Translation catalogues: message keys → text (cloud_plane/locale/<lang>.json).

Every string a person reads goes through :meth:`Catalogue.t`. Parameters are substituted with
``str.format`` names (``「{field}」必填``). A ``field`` parameter names a form field by its key
(``national_id``); it is shown as the field's label from ``field.<name>``. A missing key renders as
the key itself so the page still works, and tests/web/test_i18n.py fails on every missing key.
"""

from __future__ import annotations

import json
import string
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

LOCALE_DIR: Final = Path(__file__).resolve().parent.parent / "locale"
DEFAULT_LANG: Final = "zh-TW"
#: Parameters whose value is itself a code shown through the catalogue (``prefix + value``).
TRANSLATED_PARAMS: Final = {
    "field": "field.",
    "status": "visit.status.",
    "target": "visit.status.",
    "kind": "print.kind.",
    "channel": "channel.",
    "booking_status": "booking.status.",
}


class _Lenient(dict[str, Any]):
    """Leaves an unknown ``{name}`` visible instead of failing the whole page."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


class Catalogue:
    """The messages of one language."""

    def __init__(self, lang: str, messages: Mapping[str, str]) -> None:
        self.lang = lang
        self._messages = dict(messages)

    @classmethod
    def load(cls, lang: str = DEFAULT_LANG, directory: Path = LOCALE_DIR) -> Catalogue:
        path = directory / f"{lang}.json"
        with path.open(encoding="utf-8") as fh:
            data = json.load(fh)
        if not isinstance(data, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in data.items()
        ):
            raise ValueError(f"{path}: a catalogue is one JSON object of string → string")
        return cls(lang, data)

    def keys(self) -> frozenset[str]:
        return frozenset(self._messages)

    def has(self, key: str) -> bool:
        return key in self._messages

    def t(self, key: str, /, **params: Any) -> str:
        """The text of ``key`` with ``params`` filled in."""
        template = self._messages.get(key, key)
        if not params:
            return template
        shown = _Lenient({k: self._param(k, v) for k, v in params.items()})
        return string.Formatter().vformat(template, (), shown)

    def t_or(self, key: str, fallback: str, /, **params: Any) -> str:
        """``key``'s text, or ``fallback``'s when the catalogue lacks ``key`` (open code sets
        such as a printer's failure reason)."""
        return self.t(key if key in self._messages else fallback, **params)

    def field_label(self, name: str) -> str:
        return self._messages.get(f"field.{name}", name)

    def _param(self, name: str, value: Any) -> Any:
        prefix = TRANSLATED_PARAMS.get(name)
        if prefix is not None and isinstance(value, str):
            return self._messages.get(prefix + value, value)
        return value
