"""Which 異常就醫代碼 a visit registered on the box in continuity mode carries.

In a cloud HIS the 就醫序號 is obtained through the cloud; when the box cannot reach it no
序號 can be obtained, so the visit is registered with an abnormal code (註9-1 說明 1: the
"尚未取得就醫序號" column, unless a 序號 was already obtained before the failure):

* the cloud answered but is unhealthy, or refused the connection (its host is reachable, the
  HIS is not): **D000/D001** 醫療資訊系統（HIS）當機;
* the cloud cannot be reached at all (timeout, no route, name resolution): **A020/A021**
  網路故障造成讀卡機無法使用.
"""

from __future__ import annotations

from enum import StrEnum

from clinicbox_core.nhi.visit_codes import AbnormalCause, abnormal_code

__all__ = ["Outage", "continuity_abnormal_code"]


class Outage(StrEnum):
    NETWORK = "network"  # nothing answers: the line is down
    HIS_DOWN = "his_down"  # the cloud host answers but the HIS does not work


def continuity_abnormal_code(outage: Outage | str, *, seq_obtained: bool = False) -> str:
    cause = AbnormalCause.NETWORK if Outage(outage) is Outage.NETWORK else AbnormalCause.HIS_DOWN
    return abnormal_code(cause, seq_obtained)
