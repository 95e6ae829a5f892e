"""Clinic-day services of the cloud plane: the only way web handlers and the MQTT consumer touch
clinic data.

Every function takes an open ``AsyncConnection`` (the caller owns the transaction:
``async with engine.begin() as conn: ...``) and, except for the box-facing calls, an
:class:`Actor`. Every query is scoped to ``actor.tenant_id`` through :mod:`.tenancy`; a row of
another tenant is :class:`~clinicbox_core.errors.NotFound` (never ``Forbidden``, which would leak
its existence). A role that may not call a function gets ``Forbidden``. Every read or change of
patient data writes an ``audit_log`` row in the same transaction. Results are frozen pydantic
models from :mod:`.models`; errors are ``clinicbox_core.errors`` subclasses whose ``message_key``
is ``error.<entity>.<what>`` and, for validation errors, ``params["field"]`` names the field.

Ids are integers; dates are ``datetime.date`` in the clinic day (Asia/Taipei); timestamps are
timezone-aware UTC.

API (import from the submodule named in brackets; all are ``async`` unless marked *sync*)::

    # actor / roles                                                        [.actor]
    class Role(StrEnum): FRONT_DESK="front_desk" DOCTOR="doctor" PHARMACIST="pharmacist"
                         CLINIC_ADMIN="clinic_admin" SYSTEM="system"
    @dataclass(frozen=True) class Actor: tenant_id: int; staff_id: int | None;
                         roles: frozenset[Role]; box_id: str | None = None

    # auth                                                                 [.auth]
    hash_password(password: str) -> str                                    *sync*
    authenticate(conn, institution_code: str, username: str, password: str) -> Actor
        # wrong tenant/user/password/inactive: Forbidden("error.auth.invalid_credentials")
    get_staff(conn, actor, staff_id: int) -> Staff
    list_doctors(conn, actor) -> list[Staff]
    get_tenant(conn, actor) -> Tenant

    # patients                                                             [.patients]
    upsert_from_card(conn, actor, card: NhiCardBasic) -> Patient
    create_patient(conn, actor, data: PatientInput) -> Patient
    get_patient(conn, actor, patient_id: int) -> Patient
    search_patients(conn, actor, q: str, limit: int = 50) -> list[Patient]
        # q: national ID (prefix), chart no, name (substring), phone, birthday
        #    (YYYY-MM-DD or ROC YYYMMDD)

    # registration                                                         [.registration]
    register(conn, actor, patient_id: int, *, doctor_id: int, department: str,
             visit_type: str = "01", session: Session | None = None,
             abnormal_code: str | None = None, source: str = "manual",
             nhi_seq: str | None = None, now: datetime | None = None) -> Visit
    register_from_card(conn, tenant_slug: str, box_id: str, card: NhiCardBasic,
                       now: datetime | None = None) -> Visit
    queue(conn, actor, day: date) -> list[QueueEntry]
    cancel_visit(conn, actor, visit_id: int) -> Visit

    # consultation  [.consultation; orders and search_drugs in .orders; finish in .finish]
    get_visit_detail(conn, actor, visit_id: int) -> VisitDetail
    start_consultation(conn, actor, visit_id: int) -> VisitDetail
    set_chief_complaint(conn, actor, visit_id: int, text: str) -> VisitDetail
    add_diagnosis(conn, actor, visit_id: int, code: str) -> VisitDetail
    remove_diagnosis(conn, actor, visit_id: int, diagnosis_id: int) -> VisitDetail
    add_drug_order(conn, actor, visit_id: int, *, drug_code: str, dose: Decimal,
                   frequency: str, route: str, days: int,
                   total_quantity: Decimal | None = None, self_pay: bool = False) -> VisitDetail
    add_procedure_order(conn, actor, visit_id: int, code: str) -> VisitDetail
    remove_order(conn, actor, visit_id: int, order_id: int) -> VisitDetail
    finish_consultation(conn, actor, visit_id: int) -> VisitDetail       [.finish]
    search_icd10(conn, q: str, limit: int = 20) -> list[Icd10Hit]      # reference data
    search_drugs(conn, actor, q: str, on_date: date, limit: int = 20) -> list[DrugHit]

    # billing                                                              [.billing]
    compute_bill(conn, actor, visit_id: int, *, exemption_code: str | None = None) -> Bill
    settle(conn, actor, visit_id: int, paid: int, *, now: datetime | None = None) -> Bill

    # printing                                                             [.printing]
    create_print_job(conn, actor, visit_id: int, kind: str) -> tuple[PrintJobRow, PrintJob]
        # kind: "drugbag" | "receipt" | "slip"; PrintJob is the MQTT contract model
    record_print_result(conn, tenant_slug: str, result: PrintResult) -> PrintJobRow
    mark_print_job_sent(conn, tenant_slug: str, job_id: UUID) -> PrintJobRow
    list_print_jobs(conn, actor, visit_id: int) -> list[PrintJobRow]

    # dispensing                                                           [.dispensing]
    mark_dispensed(conn, actor, visit_id: int) -> Visit           # billed → dispensed

    # audit                                                                [.audit]
    audit_trail(conn, actor, patient_id: int, limit: int = 200) -> list[AuditEntry]

Models (frozen pydantic, [.models]): Tenant, Staff, Patient, PatientInput, Visit, QueueEntry,
Diagnosis, Order, VisitDetail, Bill, PrintJobRow, AuditEntry, Icd10Hit, DrugHit, Session
(StrEnum 早 "morning" / 午 "afternoon" / 晚 "evening"), VisitStatus (registered,
in_consultation, to_bill, billed, dispensed, cancelled).

Everything above is also importable from this package directly (``from cloud_plane.services
import register``); ``__all__`` is the public API and the isolation test covers each function
of it that takes an actor or a tenant.
"""

from __future__ import annotations

from cloud_plane.services.actor import Actor, Role
from cloud_plane.services.audit import audit_trail
from cloud_plane.services.auth import (
    authenticate,
    get_staff,
    get_tenant,
    hash_password,
    list_doctors,
)
from cloud_plane.services.billing import compute_bill, settle
from cloud_plane.services.consultation import (
    add_diagnosis,
    get_visit_detail,
    remove_diagnosis,
    search_icd10,
    set_chief_complaint,
    start_consultation,
)
from cloud_plane.services.dispensing import mark_dispensed
from cloud_plane.services.finish import finish_consultation
from cloud_plane.services.models import (
    AuditEntry,
    Bill,
    Diagnosis,
    DrugHit,
    Icd10Hit,
    Order,
    Patient,
    PatientInput,
    PrintJobRow,
    QueueEntry,
    Session,
    Staff,
    Tenant,
    Visit,
    VisitDetail,
    VisitStatus,
)
from cloud_plane.services.orders import (
    add_drug_order,
    add_procedure_order,
    remove_order,
    search_drugs,
)
from cloud_plane.services.patients import (
    create_patient,
    get_patient,
    search_patients,
    upsert_from_card,
)
from cloud_plane.services.printing import (
    create_print_job,
    list_print_jobs,
    mark_print_job_sent,
    record_print_result,
)
from cloud_plane.services.registration import cancel_visit, queue, register, register_from_card

__all__ = [
    "Actor",
    "AuditEntry",
    "Bill",
    "Diagnosis",
    "DrugHit",
    "Icd10Hit",
    "Order",
    "Patient",
    "PatientInput",
    "PrintJobRow",
    "QueueEntry",
    "Role",
    "Session",
    "Staff",
    "Tenant",
    "Visit",
    "VisitDetail",
    "VisitStatus",
    "add_diagnosis",
    "add_drug_order",
    "add_procedure_order",
    "audit_trail",
    "authenticate",
    "cancel_visit",
    "compute_bill",
    "create_patient",
    "create_print_job",
    "finish_consultation",
    "get_patient",
    "get_staff",
    "get_tenant",
    "get_visit_detail",
    "hash_password",
    "list_doctors",
    "list_print_jobs",
    "mark_dispensed",
    "mark_print_job_sent",
    "queue",
    "record_print_result",
    "register",
    "register_from_card",
    "remove_diagnosis",
    "remove_order",
    "search_drugs",
    "search_icd10",
    "search_patients",
    "set_chief_complaint",
    "settle",
    "start_consultation",
    "upsert_from_card",
]
