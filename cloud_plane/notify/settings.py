"""Typed settings of the notifier channels and the reminder scheduler (``[notify]`` in
cloud.toml, ``CLINICBOX_CLOUD__NOTIFY__<FIELD>`` in the environment)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class NotifySettings(BaseModel):
    smtp_url: str = Field(
        default="smtp://127.0.0.1:25",
        description="smtp://[user:password@]host:port (STARTTLS when offered) or smtps://...",
    )
    mail_from: str = Field(default="clinicbox@localhost", description="From: of e-mails")
    sms_url: str = Field(default="", description="HTTP SMS gateway endpoint; empty = no SMS")
    sms_token: str = Field(default="", description="bearer token for the SMS gateway")
    line_url: str = Field(
        default="", description="LINE push endpoint (https://api.line.me/v2/bot/message/push)"
    )
    line_token: str = Field(default="", description="LINE channel access token")
    timeout_s: float = Field(default=10.0, description="per message, connect + send")
    public_base_url: str = Field(
        default="http://127.0.0.1:8080", description="base of links in messages to patients"
    )
    reminder_hours_before: int = Field(default=24, description="reminder lead time (hours)")
    scheduler_interval_s: float = Field(default=30.0, description="reminder scan interval")
