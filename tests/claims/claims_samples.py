"""Sample claims built from the spec's own examples (1040409): 註6 (同一療程 0980925-0981005),
註8 (IDs A123456789 and FA12345689), 註7(2) (慢箋 refill: d9 original visit, d10 dispensing)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from clinicbox_core.nhi.claims.build import ClaimsHeader, build_claims, build_pharmacy_claims
from clinicbox_core.nhi.claims.model import Case, ClaimsFile, OrderLine
from clinicbox_core.nhi.claims.model_pharmacy import (
    PharmacyCase,
    PharmacyClaimsFile,
    PharmacyOrderLine,
)

HEADER = ClaimsHeader(
    institution="3501200000",
    fee_month=date(2009, 10, 1),
    report_date=date(2009, 11, 5),
    period_from=date(2009, 10, 1),
    period_to=date(2009, 10, 31),
)


def outpatient_example() -> ClaimsFile:
    course = Case(
        d1="09", d8="14", d9="0980925", d10="0981005", d11="0790215", d3="A123456789",
        d15="D10", d17="N", d18="N", d19="M545", d28="2", d29="0001", d30="A123456789",
        d40=50, d49="王小明",
        orders=(
            OrderLine(p3="0", p4="00110C", p8=D("100.00"), p10=D(1), p11=D(352)),
            *(
                OrderLine(p2="0", p3="2", p4="42009C", p8=D("100.00"), p10=D(1), p11=D(105),
                          p14=f"{day}0000", p15=f"{day}0000", p16="A123456789", p17="2")
                for day in ("0981001", "0981003", "0981005")
            ),
        ),
    )  # fmt: skip
    refill = Case(
        d1="08", d8="02", d9="0980910", d10="0981008", d11="0450101", d3="FA12345689",
        d15="009", d16="2", d17="3501200000", d18="N", d19="I10", d27=28, d29="IC02",
        d30="A123456789", d31="A123456789", d40=0, d49="Smith John",
        orders=(
            OrderLine(p1=28, p2="0", p3="1", p4="BC23453100", p5=D(1), p7="QD", p9="PO",
                      p10=D(28), p11=D("2.5"), p17="1"),
            OrderLine(p3="9", p4="05211C", p10=D(1), p11=D(45)),
        ),
    )  # fmt: skip
    return build_claims(HEADER, [course, refill])


def pharmacy_example() -> PharmacyClaimsFile:
    case = PharmacyCase(
        d1="2", d3="A123456789", d6="0790215", d7="IC02", d8="I10", d13="02", d14="0980910",
        d15="I22", d17=0, d20="王小明", d21="3501200000", d22="04", d23="0981008",
        d24="3501200000", d25="FA12345689", d30=28, d35="2", d36="3", d43="0007",
        orders=(
            PharmacyOrderLine(p1="1", p2="BC23453100", p3=D(1), p4="QD", p5="PO", p7=D(28),
                              p8=D("2.5"), p11=28),
            PharmacyOrderLine(p1="9", p2="05210B", p6="100", p7=D(1), p8=D(69)),
        ),
    )  # fmt: skip
    return build_pharmacy_claims(HEADER.model_copy(update={"method": "2"}), [case])
