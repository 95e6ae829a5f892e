"""The one error type every sandbox handler raises; the app turns it into an NHI-style answer.

An answer carries ``statusCode`` (the NHI code as text, ``"0"`` = success, as the control
software's JSON does) and ``message``; errors add ``field`` when one input field is at fault and
``details`` (for example the validator's findings). The HTTP status tells the class of failure:
400 bad input, 401 signature, 404 unknown thing, 409 state conflict, 422 refused by an NHI rule.
"""

from __future__ import annotations

from typing import Any

from nhi_sandbox.codes import message_for

__all__ = ["SandboxError"]


class SandboxError(Exception):
    def __init__(
        self,
        code: str,
        status: int,
        *,
        field: str | None = None,
        message: str | None = None,
        details: Any = None,
    ) -> None:
        self.code = code
        self.status = status
        self.field = field
        self.message = message or message_for(code)
        self.details = details
        super().__init__(f"{code} {self.message}" + (f" ({field})" if field else ""))

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"statusCode": self.code, "message": self.message}
        if self.field is not None:
            out["field"] = self.field
        if self.details is not None:
            out["details"] = self.details
        return out


def bad_param(field: str, why: str) -> SandboxError:
    """Input that does not have the documented shape: 6018 參數錯誤, HTTP 400."""
    return SandboxError("6018", 400, field=field, message=f"參數錯誤：{field} {why}")
