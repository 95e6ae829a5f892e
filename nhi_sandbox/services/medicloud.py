"""MediCloud (雲端藥歷) query: a person's recent visits and the medications still in supply.

nhi.md §4: the real MediCloud API and its duplicate-drug rule were **not found**; this is the
sandbox's own shape. It needs the person's card (as the real system does: a query is made with
the card in the reader), refuses 註銷/過期/未在保 cards like a visit would, and answers from the
sandbox's own state: the seeded history plus every visit accepted through the IC-card upload.
``activeMedications`` lists drugs whose supply (visit date + days) reaches today.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta
from typing import Any

from clinicbox_core.nhi.roc_date import format_roc_datetime
from nhi_sandbox.services.common import Route, card_patient, insured_patient
from nhi_sandbox.signature import Envelope
from nhi_sandbox.state import Sandbox
from nhi_sandbox.wire import req_int

__all__ = ["ROUTES"]


async def query(sbx: Sandbox, env: Envelope, params: dict[str, Any]) -> dict[str, Any]:
    days = req_int(params, "days", 1, 365) if "days" in params else 180
    now = sbx.clock.now()

    def run(conn: sqlite3.Connection) -> dict[str, Any]:
        row = card_patient(conn, env)
        insured_patient(row, now.date())
        visits = conn.execute(
            "SELECT * FROM visits WHERE id_no = ? AND visit_dt >= ? AND visit_dt <= ?"
            " ORDER BY visit_dt DESC, id DESC",
            (row["id_no"], (now - timedelta(days=days)).isoformat(), now.isoformat()),
        ).fetchall()
        out: list[dict[str, Any]] = []
        active: list[dict[str, Any]] = []
        for v in visits:
            when = datetime.fromisoformat(v["visit_dt"])
            meds = []
            for m in conn.execute(
                "SELECT * FROM medications WHERE visit_id = ? ORDER BY seq", (v["id"],)
            ):
                med = {
                    "code": m["code"],
                    "name": m["name"],
                    "frequency": m["frequency"],
                    "days": m["days"],
                    "totalQuantity": m["total"],
                    "chronic": bool(m["chronic"]),
                }
                meds.append(med)
                if when.date() + timedelta(days=m["days"]) > now.date():
                    end = when.date() + timedelta(days=m["days"] - 1)
                    active.append(
                        {**med, "hospitalId": v["hospital_id"], "lastDay": end.isoformat()}
                    )
            out.append(
                {
                    "hospitalId": v["hospital_id"],
                    "visitDateTime": format_roc_datetime(when),
                    "diagnoses": json.loads(v["diagnoses"]),
                    "source": v["source"],
                    "medications": meds,
                }
            )
        return {
            "idNo": row["id_no"],
            "name": row["name"],
            "visits": out,
            "activeMedications": active,
        }

    return await sbx.db.run(run)


ROUTES = (Route("/api/v1/MediCloud/Query", "01", True, query),)
