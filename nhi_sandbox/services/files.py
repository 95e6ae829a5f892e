"""Uploaded files arrive base64 in the signed JSON body; this unpacks them (zip or plain)."""

from __future__ import annotations

import base64
import binascii
import io
import zipfile
from typing import Any

from nhi_sandbox.errors import SandboxError, bad_param
from nhi_sandbox.wire import req_str

__all__ = ["MAX_FILE", "file_bytes"]

MAX_FILE = 20 * 1024 * 1024


def file_bytes(params: dict[str, Any], file_name: str) -> bytes:
    """The ``content`` field decoded; a ``.zip`` must hold exactly one ``.xml`` member."""
    text = req_str(params, "content", r"[A-Za-z0-9+/=\s]*", max_len=MAX_FILE * 2)
    try:
        data = base64.b64decode(text, validate=False)
    except (binascii.Error, ValueError) as exc:
        raise bad_param("content", "不是 base64") from exc
    if not data:
        raise bad_param("content", "檔案為空")
    if not file_name.lower().endswith(".zip"):
        return data
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            members = [i for i in zf.infolist() if not i.is_dir()]
            if len(members) != 1 or not members[0].filename.lower().endswith(".xml"):
                raise SandboxError("SBX02", 400, field="content", message="壓縮檔需恰含一個 XML")
            if members[0].file_size > MAX_FILE:
                raise SandboxError("9070", 413, field="content")
            return zf.read(members[0])
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
        raise bad_param("content", "壓縮檔損壞") from exc
