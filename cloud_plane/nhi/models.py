"""Base of the adapters' answer models: frozen, aliases = the wire's camelCase names."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["Answer"]


class Answer(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore")
