"""The cloud plane's web application: pages for the front desk, the doctor and billing.

``create_app`` wires settings, the database engine, the print dispatcher (the port towards the
boxes) and the live hub into one aiohttp application. Every route is listed in :func:`_routes`;
tests/web/test_tenant_isolation.py walks ``app.router.routes()`` so a new route with an id in its
path must be covered there.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from aiohttp import web
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from cloud_plane.config import CloudSettings
from cloud_plane.fleet.runtime import FleetRuntime
from cloud_plane.notify.registry import Notifiers
from cloud_plane.web import continuity as continuity_web
from cloud_plane.web import keys
from cloud_plane.web.continuity import ContinuityView
from cloud_plane.web.dispatch import PrintDispatcher
from cloud_plane.web.errors import error_middleware
from cloud_plane.web.i18n import DEFAULT_LANG, Catalogue
from cloud_plane.web.live import LiveHub
from cloud_plane.web.middleware import auth_middleware, csrf_middleware, session_middleware
from cloud_plane.web.render import setup_templates
from cloud_plane.web.routes_frontdesk import frontdesk_routes
from cloud_plane.web.sessions import SessionCodec, master_key_from_secret
from cloud_plane.web.views import (
    api,
    auth,
    billing,
    continuity,
    desk,
    doctor,
    events,
    nhi_ops,
    pharmacy,
    pickup,
    reports,
    stock,
    vendor,
    vendor_rollouts,
    visit,
)

STATIC_DIR: Final = Path(__file__).resolve().parent.parent / "static"
HEARTBEAT_S: Final = 15.0
#: Form posts are small; anything bigger is a mistake or an attack.
MAX_BODY_BYTES: Final = 256 * 1024


def create_app(
    settings: CloudSettings,
    engine: AsyncEngine,
    *,
    print_dispatcher: PrintDispatcher,
    live: LiveHub,
    fleet: FleetRuntime | None = None,
    heartbeat_s: float = HEARTBEAT_S,
    lang: str = DEFAULT_LANG,
    continuity: ContinuityView | None = None,
) -> web.Application:
    """The web application; the caller owns ``engine`` and ``live`` (and closes the engine)."""
    app = web.Application(
        middlewares=[session_middleware, error_middleware, auth_middleware, csrf_middleware],
        client_max_size=MAX_BODY_BYTES,
    )
    catalogue = Catalogue.load(lang)
    app[keys.SETTINGS] = settings
    app[keys.ENGINE] = engine
    app[keys.DISPATCHER] = print_dispatcher
    app[keys.LIVE] = live
    app[keys.FLEET] = fleet
    app[keys.CATALOGUE] = catalogue
    app[keys.NOTIFIER] = Notifiers(settings.notify)
    app[keys.CODEC] = SessionCodec(master_key_from_secret(settings.session_secret))
    app[keys.HEARTBEAT_S] = heartbeat_s
    setup_templates(app, catalogue)
    app.router.add_routes(_routes())
    if continuity is not None:
        app[keys.CONTINUITY] = continuity
        app.router.add_get("/continuity/status", continuity_web.status, name="continuity_status")
    app.router.add_static("/static/", STATIC_DIR, name="static", append_version=False)
    app.on_shutdown.append(_close_streams)
    app.on_response_prepare.append(_security_headers)
    return app


def _routes() -> list[web.RouteDef]:
    return [
        web.get("/", desk.home, name="home"),
        web.get("/healthz", _healthz, name="healthz"),
        web.get("/login", auth.show_login, name="login"),
        web.post("/login", auth.do_login, name="login_post"),
        web.post("/logout", auth.do_logout, name="logout"),
        # 掛號 front desk
        web.get("/desk", desk.show_desk, name="desk"),
        web.get("/desk/queue", desk.queue_fragment, name="desk_queue"),
        web.post("/desk/register", desk.do_register, name="desk_register"),
        web.post("/desk/patients", desk.do_create_patient, name="desk_create_patient"),
        # 看診 doctor
        web.get("/visits/{visit_id}", visit.show_visit, name="visit"),
        web.post("/visits/{visit_id}/start", visit.do_start, name="visit_start"),
        web.post("/visits/{visit_id}/complaint", visit.do_complaint, name="visit_complaint"),
        web.post("/visits/{visit_id}/diagnoses", visit.do_add_diagnosis, name="visit_diagnosis"),
        web.post(
            "/visits/{visit_id}/diagnoses/{diagnosis_id}/delete",
            visit.do_remove_diagnosis,
            name="visit_diagnosis_delete",
        ),
        web.post("/visits/{visit_id}/drugs", visit.do_add_drug, name="visit_drug"),
        web.post("/visits/{visit_id}/procedures", visit.do_add_procedure, name="visit_procedure"),
        web.post(
            "/visits/{visit_id}/orders/{order_id}/delete",
            visit.do_remove_order,
            name="visit_order_delete",
        ),
        web.post("/visits/{visit_id}/finish", visit.do_finish, name="visit_finish"),
        *_doctor_routes(),
        # 批價 billing and printing
        web.get("/visits/{visit_id}/bill", billing.show_bill, name="bill"),
        web.post("/visits/{visit_id}/bill", billing.do_recompute, name="bill_recompute"),
        web.post("/visits/{visit_id}/settle", billing.do_settle, name="bill_settle"),
        web.post("/visits/{visit_id}/print", billing.do_print, name="bill_print"),
        web.get("/visits/{visit_id}/prints", billing.prints_fragment, name="bill_prints"),
        web.post("/visits/{visit_id}/dispense", billing.do_dispense, name="visit_dispense"),
        # 調劑 pharmacy and 庫存 stock
        web.get("/pharmacy", pharmacy.show_pharmacy, name="pharmacy"),
        web.post("/pharmacy/scan", pharmacy.do_scan, name="pharmacy_scan"),
        web.post("/pharmacy/rx", pharmacy.do_typed, name="pharmacy_typed"),
        web.get("/pharmacy/patient", pharmacy.patient_slips, name="pharmacy_patient"),
        web.get("/pharmacy/rx/{rx_id}", pharmacy.show_rx, name="pharmacy_rx"),
        web.post("/pharmacy/rx/{rx_id}/dispense", pharmacy.do_dispense, name="pharmacy_dispense"),
        web.post("/pharmacy/rx/{rx_id}/print", pharmacy.do_print, name="pharmacy_print"),
        web.get("/stock", stock.show_stock, name="stock"),
        web.post("/stock/receive", stock.do_receive, name="stock_receive"),
        web.post("/stock/adjust", stock.do_adjust, name="stock_adjust"),
        # 經營報表 reports (clinic admin)
        web.get("/reports", reports.show_reports, name="reports"),
        web.get("/reports.csv", reports.download_csv, name="reports_csv"),
        # 健保作業 IC upload and claims (clinic admin)
        web.get("/nhi", nhi_ops.show_nhi, name="nhi_ops"),
        web.post("/nhi/upload", nhi_ops.do_upload, name="nhi_upload"),
        web.post("/nhi/claims", nhi_ops.do_claims, name="nhi_claims"),
        # JSON for search-as-you-type
        web.get("/api/icd10", api.icd10, name="api_icd10"),
        web.get("/api/drugs", api.drugs, name="api_drugs"),
        web.get("/api/patients", api.patients, name="api_patients"),
        web.get("/api/visits/{visit_id}", api.visit_detail, name="api_visit"),
        web.get("/api/continuity", continuity_web.box_address, name="api_continuity"),
        # 離線作業衝突審查 (clinic admin)
        web.get("/continuity/conflicts", continuity.show_conflicts, name="conflicts"),
        web.post("/continuity/conflicts/resolve", continuity.do_resolve, name="conflict_resolve"),
        # live updates
        web.get("/events", events.events, name="events"),
        # 叫號, 退掛/改掛, bookings at the desk, 日結; public booking and waiting-room screen
        *frontdesk_routes(),
        # public: 慢箋 pick-up booking at a pharmacy
        *pickup.routes(),
        # the vendor's fleet console (vendor logins only)
        *vendor.routes(),
        *vendor_rollouts.routes(),
    ]


def _doctor_routes() -> list[web.RouteDef]:
    """看診 tools: 慢箋, 中藥, 組套, repeat last prescription, the 處方箋."""
    return [
        web.post("/visits/{visit_id}/chronic", doctor.do_chronic, name="visit_chronic"),
        web.post("/visits/{visit_id}/allergies", doctor.do_allergies, name="visit_allergies"),
        web.post("/visits/{visit_id}/herbs", doctor.do_add_herb, name="visit_herb"),
        web.post("/visits/{visit_id}/order-sets", doctor.do_save_set, name="visit_set_save"),
        web.post(
            "/visits/{visit_id}/order-sets/apply", doctor.do_apply_set, name="visit_set_apply"
        ),
        web.post("/visits/{visit_id}/repeat", doctor.do_repeat, name="visit_repeat"),
        web.get("/visits/{visit_id}/rx", doctor.show_rx, name="visit_rx"),
        web.post("/visits/{visit_id}/rx/print", doctor.do_print_rx, name="visit_rx_print"),
        web.get("/api/herbs", doctor.herbs_api, name="api_herbs"),
    ]


async def _healthz(request: web.Request) -> web.StreamResponse:
    """200 when the database answers, 503 otherwise (clinic pages and boxes probe this)."""
    try:
        async with request.app[keys.ENGINE].connect() as conn:
            await conn.execute(text("SELECT 1"))
    except (SQLAlchemyError, OSError):
        return web.json_response({"ok": False}, status=503)
    return web.json_response({"ok": True})


async def _close_streams(app: web.Application) -> None:
    app[keys.LIVE].close_all()


async def _security_headers(request: web.Request, response: web.StreamResponse) -> None:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; frame-ancestors 'none'; form-action 'self'",
    )
    if not request.path.startswith("/static/"):
        response.headers.setdefault("Cache-Control", "no-store")
