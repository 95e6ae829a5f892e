"""Daily IC-card data upload (健保卡資料上傳) on the cloud side: queue, build, results, reports.

Follows the conventions of :mod:`cloud_plane.services` (caller owns the transaction, every query
scoped to ``actor.tenant_id``, another tenant's row is ``NotFound``, every change audited in the
same transaction). Formats, checks, status rules and the 24-hour rule are the pure
:mod:`clinicbox_core.nhi.ic_upload`; this package only reads visits and keeps the records.

API (all ``async``; roles: clinic_admin, front_desk or system)::

    # [.service]
    record_card_write(conn, actor, visit_id, *, sam_id, signature, treatment_id) -> IcUploadRecord
    queue_ic_records_for_day(conn, actor, day: date) -> list[IcUploadRecord]
    build_upload(conn, actor, day: date, *, version=Version.V2, now=None) -> UploadBatch
        # .data = the Big5 bytes; marks the records uploaded; records our own validator
        # rejects are not sent and stay pending with the findings (``.held``)
    apply_upload_result(conn, actor, batch_id: int, results: Sequence[RecordResult],
                        *, now=None) -> list[IcUploadRecord]
    correct_record(conn, actor, record_id: int, *, now=None) -> IcUploadRecord
    # [.report]
    upload_rate(conn, actor, start: date, end: date) -> UploadRate
    overdue_records(conn, actor, now: datetime) -> list[IcUploadRecord]
    record_history(conn, actor, record_id: int) -> list[IcUploadEvent]
"""
