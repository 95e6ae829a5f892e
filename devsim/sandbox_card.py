"""The card of a person the NHI sandbox knows, for the virtual card reader.

The demo's card service is the sandbox: only its seeded people get a 就醫序號, so
``clinicbox card insert --sandbox-patient N`` puts the N-th active person's card (of those
whose card is not dated before their birth) (name, ID,
birth date, sex, card number, issue date as the sandbox holds them) into the virtual reader.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

__all__ = ["sandbox_card"]


def sandbox_card(sandbox_url: str | None, index: int) -> dict[str, Any]:
    """The card fields of the sandbox's ``index``-th active person (``card_control`` insert)."""
    if not sandbox_url:
        raise SystemExit("this demo runs without the NHI sandbox")
    with urllib.request.urlopen(sandbox_url.rstrip("/") + "/sandbox/v1/Patients", timeout=10) as r:
        people = [
            p
            for p in json.loads(r.read())["patients"]
            # the seed draws issue dates independently of birth dates; a card cannot predate
            # its holder, and the virtual card refuses one that does
            if p["status"] == "active" and p["issue_date"] >= p["birthday"]
        ]
    if not 0 <= index < len(people):
        raise SystemExit(f"--sandbox-patient must be 0..{len(people) - 1}")
    p = people[index]
    return {
        "name": p["name"],
        "id_no": p["id_no"],
        "birth_date": p["birthday"],
        "sex": p["sex"],
        "card_no": p["card_no"],
        "issue_date": p["issue_date"],
    }
