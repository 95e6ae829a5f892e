"""Every message key the code or the templates use exists in the zh-TW catalogue."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import get_args

from clinicbox_core.bundles import BundleKind
from clinicbox_core.contracts.fleet_updates import UpdateStatus
from clinicbox_core.contracts.messages import PrintResult
from cloud_plane.db.tables_continuity import CONFLICT_KINDS, CONFLICT_RULES, CONFLICT_STATUSES
from cloud_plane.db.tables_frontdesk import BOOKING_STATUSES, CHANNELS
from cloud_plane.db.tables_icupload import IC_STATUSES
from cloud_plane.fleet.console import ALERTS, REPORTED_FIELDS
from cloud_plane.fleet.const import BoxState, CommandKind, CommandStatus
from cloud_plane.fleet_updates.console import BOX_STATES as ROLLOUT_BOX_STATES
from cloud_plane.services.models import Session, VisitStatus
from cloud_plane.services.reports import GroupBy
from cloud_plane.web.i18n import LOCALE_DIR, Catalogue
from cloud_plane.web.views.billing import DISPATCH_FAILED, PRINT_KINDS
from cloud_plane.web.views.reports import COLUMNS as REPORT_COLUMNS

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "cloud_plane" / "templates"
#: Where error keys are raised that can reach a page (the box's own errors never do).
ERROR_SOURCES = [ROOT / "clinicbox_core", ROOT / "cloud_plane"]
# t('key' / t_or('key' / field_label('name' in templates and .t("key" in Python.
_TEMPLATE_KEY = re.compile(r"(?<![\w.])(t|t_or)\(\s*'([^']+)'")
_FIELD = re.compile(r"field_label\(\s*'([^']+)'")
_PY_KEY = re.compile(r"\.t\(\s*\"([^\"]+)\"")
_ERROR_KEY = re.compile(r"[\"'](error\.[a-z0-9_]+(?:\.[a-z0-9_]+)*)[\"']")
_FORM_FIELD = re.compile(r"""name="([a-z_]+)\"""")
_PY_FIELD = re.compile(r"field=\"([a-z_]+)\"")

# Keys built at run time from a prefix, with every value the prefix can take.
DYNAMIC = {
    "session.": [s.value for s in Session],
    "visit.status.": [s.value for s in VisitStatus],
    "sex.": ["M", "F"],
    "order.kind.": ["drug", "procedure", "consult_fee", "pharmacy_fee"],
    "print.kind.": list(PRINT_KINDS),
    "print.button.": list(PRINT_KINDS),
    "print.status.": ["queued", "sent", "done", "failed"],
    "print.reason.": ["unknown", DISPATCH_FAILED, "offline", "timeout", "paper_out", "cover_open",
                      "render_failed", "device"],
    "report.group.": [g.value for g in GroupBy],
    "report.col.": list(REPORT_COLUMNS),
    "weekday.": [str(d) for d in range(7)],
    "booking.status.": list(BOOKING_STATUSES),
    "channel.": list(CHANNELS),
    "continuity.kind.": list(CONFLICT_KINDS),
    "continuity.rule.": list(CONFLICT_RULES),
    "continuity.status.": list(CONFLICT_STATUSES),
    "fleet.state.": [s.value for s in BoxState],
    "fleet.alert.": list(ALERTS),
    "fleet.reported.": list(REPORTED_FIELDS),
    "fleet.status.": [s.value for s in CommandStatus],
    "fleet.kind.": [k.value for k in CommandKind] + ["cert.install"],
    "nhiops.col.": ["day", "total", "pending", "uploaded", "accepted", "rejected", "held", "late"],
    "nhiops.status.": [*IC_STATUSES, "held"],
    "nhiops.claims_status.": ["invalid", "checked", "accepted", "rejected", "unsent"],
    "nhiops.severity.": ["error", "warning"],
    "rollout.target.": ["software", "bundle"],
    "rollout.state.": ["running", "paused", "aborted", "rolled_back", "done"],
    "rollout.reason.": ["canary_failed", "failure_threshold", "vendor"],
    "rollout.box.": list(ROLLOUT_BOX_STATES),
    "rollout.phase.": ["canary", "main"],
    "bundle.kind.": [k.value for k in BundleKind],
    "bundle.update_status.": list(get_args(UpdateStatus)),
}  # fmt: skip
NOT_FIELDS = {"_csrf", "next", "q", "kind", "viewport"}


def catalogue(lang: str = "zh-TW") -> dict[str, str]:
    data: dict[str, str] = json.loads((LOCALE_DIR / f"{lang}.json").read_text(encoding="utf-8"))
    return data


def used_keys() -> set[str]:
    keys: set[str] = set()
    for path in TEMPLATES.glob("*.html"):
        text = path.read_text(encoding="utf-8")
        for _, key in _TEMPLATE_KEY.findall(text):
            if key.endswith("."):
                assert key in DYNAMIC, f"{path.name}: dynamic key prefix {key!r} not enumerated"
                keys.update(key + v for v in DYNAMIC[key])
            else:
                keys.add(key)
        keys.update(f"field.{name}" for name in _FIELD.findall(text))
        keys.update(f"field.{n}" for n in _FORM_FIELD.findall(text) if n not in NOT_FIELDS)
    for path in (ROOT / "cloud_plane" / "web").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        keys.update(k for k in _PY_KEY.findall(text) if not k.endswith("."))
    for src in ERROR_SOURCES:
        for path in src.rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            keys.update(k for k in _ERROR_KEY.findall(text) if not k.endswith(".html"))
            keys.update(f"field.{n}" for n in _PY_FIELD.findall(text))
    return keys


def test_every_used_key_is_in_zh_tw() -> None:
    missing = sorted(used_keys() - set(catalogue()))
    assert not missing, f"missing from cloud_plane/locale/zh-TW.json: {missing}"


def test_the_scan_finds_keys() -> None:
    keys = used_keys()
    # guards against a regex that silently matches nothing
    assert {"desk.queue.title", "error.visit.not_found", "field.national_id"} <= keys
    assert "error.auth.invalid_credentials" in keys


def test_en_catalogue_has_the_same_keys() -> None:
    zh, en = catalogue(), catalogue("en")
    assert sorted(set(zh) - set(en)) == []
    assert sorted(set(en) - set(zh)) == []


def test_print_reasons_of_the_contract_have_text() -> None:
    assert PrintResult.model_fields["reason"].annotation is not None
    c = Catalogue.load()
    for reason in DYNAMIC["print.reason."]:
        assert c.has(f"print.reason.{reason}")


def test_field_param_is_shown_as_its_label() -> None:
    c = Catalogue.load()
    assert c.t("error.field.required", field="national_id") == "請填寫「身分證字號」。"
    assert (
        c.t("error.visit.bad_status", status="to_bill")
        == "看診狀態為「待批價」，不能執行這個動作。"
    )
    assert c.t("no.such.key") == "no.such.key"
    assert c.t_or("print.reason.jammed", "print.reason.unknown", reason="jammed") == (
        "印表機回報錯誤（jammed）"
    )
