"""Deterministic seeded population: the same seed always gives the same people and history.

Each person has a valid national ID (check digit per clinicbox_core.nhi.id_number), a Big5 name,
a 12-digit card number, birth and issue dates, an insurance state and a visit history. States are
dealt out so every error path of the card service has people to exercise it: 註銷 (5002),
過期 (5003), 未在保 (5012) and 可用次數 0 (5001). Chronic patients have a 28-day chronic
prescription in their recent visits; others have a few acute visits. Dates in the history are
*days before* the day the data directory was created, so a restart does not move them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from clinicbox_core.nhi.id_number import LETTER_VALUES, check_digit

__all__ = [
    "DRUGS",
    "SeedMedication",
    "SeedPatient",
    "SeedVisit",
    "Status",
    "generate",
]

Status = str  # "active" | "cancelled" | "expired" | "uninsured" | "exhausted"

SURNAMES = "陳林黃張李王吳劉蔡楊許鄭謝郭洪邱曾廖賴周徐蘇葉莊呂江何蕭羅高"
GIVEN = "志明淑芬家豪美玲俊傑雅婷建宏怡君冠宇佳穎宗翰欣怡承恩詩涵柏翰宜庭文彥秀英國華"

# (code, name, frequency, daily quantity, chronic) — codes from the NHI drug list 115.07
# (shared/data/drugs/nhi-drug-codes-1150701.csv).
DRUGS: tuple[tuple[str, str, str, int, bool], ...] = (
    ("A040781100", "GLUCOFIT F.C. TABLETS 500MG (METFORMIN)", "BID", 2, True),
    ("A034286100", "NORVASC TABLETS 5MG (AMLODIPINE)", "QD", 1, True),
    ("AC55268100", "Atorva F.C. Tablets 40mg (Atorvastatin)", "QD", 1, True),
    ("A055915100", "Kinzaar F.C. Tablets 50mg (Losartan)", "QD", 1, True),
    ("A034893100", "GLIMICON TABLETS 80MG (GLICLAZIDE)", "BID", 2, True),
    ("A015034100", "ACETAMINOPHEN TABLETS", "TID", 3, False),
    ("A007822100", "AMOXICILLIN CAPSULES", "TID", 3, False),
    ("A042887100", "CETIZIN F.C. TABLETS 10MG (CETIRIZINE)", "QD", 1, False),
    ("A036869100", "FAMODINE F.C. TABLETS 40MG (FAMOTIDINE)", "BID", 2, False),
    ("A005945100", "DEXTROMETHORPHAN TABLETS", "TID", 3, False),
)
CHRONIC_DX = ("E119", "I10", "E785")
ACUTE_DX = ("J069", "J209", "K297", "J00")
OTHER_CLINICS = ("3501010011", "3501020022", "3532030033")


@dataclass(frozen=True, slots=True)
class SeedMedication:
    code: str
    name: str
    frequency: str
    days: int
    total: str  # 總量 as NHI writes it, one decimal
    chronic: bool


@dataclass(frozen=True, slots=True)
class SeedVisit:
    days_ago: int
    hour: int
    hospital_id: str
    diagnoses: tuple[str, ...]
    medications: tuple[SeedMedication, ...]


@dataclass(frozen=True, slots=True)
class SeedPatient:
    id_no: str
    card_no: str
    name: str
    birthday: date
    sex: str
    issue_date: date
    status: Status
    validity_days: int  # card validity relative to the creation day (negative = expired)
    counter: int  # 就醫可用次數
    insurer_code: str
    insurer_id: str
    emergency_tel: str
    visits: tuple[SeedVisit, ...] = field(default=())


def _id_no(rng: random.Random, sex: str) -> str:
    area = rng.choice(sorted(LETTER_VALUES))
    body = f"{area}{'1' if sex == 'M' else '2'}{rng.randrange(10**7):07d}"
    return body + check_digit(body)


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _visit(rng: random.Random, chronic: bool, days_ago: int) -> SeedVisit:
    if chronic:
        drugs = rng.sample([d for d in DRUGS if d[4]], 2)
        dx: tuple[str, ...] = tuple(rng.sample(CHRONIC_DX, 2))
        days = 28
    else:
        drugs = rng.sample([d for d in DRUGS if not d[4]], 2)
        dx = (rng.choice(ACUTE_DX),)
        days = 3
    meds = tuple(
        SeedMedication(code, name, freq, days, f"{daily * days}.0", is_chronic)
        for code, name, freq, daily, is_chronic in drugs
    )
    return SeedVisit(days_ago, rng.randrange(8, 21), rng.choice(OTHER_CLINICS), dx, meds)


def generate(seed: int, count: int = 50) -> list[SeedPatient]:
    """``count`` people; every state appears at least twice when ``count`` ≥ 20."""
    rng = random.Random(seed)
    special: list[Status] = ["cancelled"] * 3 + ["expired"] * 3 + ["uninsured"] * 3
    special += ["exhausted"] * 2
    states = special[: max(0, count - 1)] + ["active"] * max(0, count - len(special))
    rng.shuffle(states)
    # the first person is always active and chronic, so demos have a known-good card
    if states and states[0] != "active":
        first_active = states.index("active")
        states[0], states[first_active] = states[first_active], states[0]
    people: list[SeedPatient] = []
    seen_ids: set[str] = set()
    seen_cards: set[str] = set()
    for i, status in enumerate(states):
        sex = rng.choice("MF")
        id_no = _id_no(rng, sex)
        while id_no in seen_ids:
            id_no = _id_no(rng, sex)
        card_no = f"0000{rng.randrange(10**8):08d}"
        while card_no in seen_cards:
            card_no = f"0000{rng.randrange(10**8):08d}"
        seen_ids.add(id_no)
        seen_cards.add(card_no)
        birthday = date(1940, 1, 1) + timedelta(days=rng.randrange(0, 82 * 365))
        issue = date(2004, 1, 1) + timedelta(days=rng.randrange(0, 16 * 365))
        chronic = i == 0 or rng.random() < 0.3
        visits: list[SeedVisit] = []
        if status == "active":
            if chronic:
                visits.append(_visit(rng, True, rng.randrange(5, 25)))
                visits.append(_visit(rng, True, rng.randrange(33, 55)))
            for _ in range(rng.randrange(0, 3)):
                visits.append(_visit(rng, False, rng.randrange(1, 90)))
        visits.sort(key=lambda v: v.days_ago)
        people.append(
            SeedPatient(
                id_no=id_no,
                card_no=card_no,
                name=_name(rng),
                birthday=birthday,
                sex=sex,
                issue_date=issue,
                status=status,
                validity_days=-rng.randrange(30, 400)
                if status == "expired"
                else rng.randrange(365, 5 * 365),
                counter=0 if status == "exhausted" else 6,
                insurer_code="01",
                insurer_id="1",
                emergency_tel=f"09{rng.randrange(10**8):08d}",
                visits=tuple(visits),
            )
        )
    return people
