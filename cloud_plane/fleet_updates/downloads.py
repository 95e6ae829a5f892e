"""HTTP downloads for boxes: ``GET /fleet/bundles/{kind}/{version}?have=N`` (signed bundle, a
delta against N when possible) and ``GET /fleet/software/{version}`` (the artifact).

No login: everything served here is signed by the cloud's key and verified by the box before
use, and none of it is patient data (NHI prices, fee schedule, rules, our own software). In
production the cloud sits behind HTTPS; see docs/fleet.md.
"""

from __future__ import annotations

from aiohttp import web

from clinicbox_core.bundles import BundleKind
from clinicbox_core.errors import NotFound
from cloud_plane.fleet_updates.artifacts import artifact_bytes
from cloud_plane.fleet_updates.bundles import BundlePublisher
from cloud_plane.web import keys

PUBLISHER = web.AppKey("bundle_publisher", BundlePublisher)
PREFIX = "/fleet/"


async def bundle(request: web.Request) -> web.Response:
    publisher = request.app.get(PUBLISHER)
    try:
        kind = BundleKind(request.match_info["kind"])
        version = int(request.match_info["version"])
        have_text = request.query.get("have")
        have = int(have_text) if have_text else None
    except ValueError as exc:
        raise NotFound("error.fleet.bundle_not_found") from exc
    if publisher is None:
        raise NotFound("error.fleet.bundle_not_found", kind=kind.value, version=version)
    blob = await publisher.signed(kind, version, have)
    return web.Response(body=blob, content_type="application/octet-stream")


async def software(request: web.Request) -> web.Response:
    data = await artifact_bytes(request.app[keys.ENGINE], request.match_info["version"])
    return web.Response(body=data, content_type="application/octet-stream")


def install(app: web.Application, publisher: BundlePublisher | None) -> None:
    if publisher is not None:
        app[PUBLISHER] = publisher
    app.router.add_routes(
        [
            web.get("/fleet/bundles/{kind}/{version}", bundle, name="fleet_bundle"),
            web.get("/fleet/software/{version}", software, name="fleet_software"),
        ]
    )
