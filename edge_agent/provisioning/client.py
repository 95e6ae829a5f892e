"""First boot: ask the cloud for a device certificate through the broker's claim listener.

The box connects with the claim certificate it shipped with (client id = its serial), publishes
its CSR and one-time code, and repeats every ``retry_s`` until the cloud answers ``issued``
(pending = nobody assigned the box to a clinic yet; the status page shows the code meanwhile).
Then it stores the certificate and the clinic, and never uses the claim certificate again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import aiomqtt
from pydantic import ValidationError

from clinicbox import __version__
from clinicbox_core.contracts.provisioning import (
    ProvisionRequest,
    ProvisionResponse,
    request_topic,
    response_topic,
)
from clinicbox_core.settings_models import MqttSettings
from edge_agent.config import BoxSettings
from edge_agent.link.errors import LinkError
from edge_agent.link.mqtt import connect, tls_context
from edge_agent.provisioning.identity import DeviceIdentity

log = logging.getLogger(__name__)
StatusCallback = Callable[[str, str | None], None]


async def provision(
    settings: BoxSettings, identity: DeviceIdentity, on_status: StatusCallback
) -> str:
    """Run until the box holds a device certificate; returns the clinic's tenant slug."""
    prov = settings.provisioning
    if prov.claim_cert_file is None or prov.claim_port is None:
        raise LinkError("error.provisioning.not_configured")
    claim = MqttSettings(
        host=settings.mqtt.host,
        port=prov.claim_port,
        ca_file=settings.mqtt.ca_file,
        cert_file=prov.claim_cert_file,
        key_file=prov.claim_key_file,
        keepalive_s=settings.mqtt.keepalive_s,
    )
    request = ProvisionRequest(
        serial=settings.box_id,
        csr_pem=await asyncio.to_thread(identity.csr_pem),
        claim_code=await asyncio.to_thread(identity.claim_code),
        software_version=__version__,
    )
    while True:
        on_status("connecting", None)
        try:
            answer = await _session(claim, settings.box_id, request, prov.retry_s, on_status)
        except (LinkError, aiomqtt.MqttError) as exc:
            log.warning("provisioning: cannot reach the claim listener: %s", exc)
            on_status("unreachable", str(exc))
            await asyncio.sleep(prov.retry_s)
            continue
        assert answer.cert_pem is not None and answer.tenant is not None
        await asyncio.to_thread(identity.install, answer.cert_pem, answer.tenant)
        on_status("provisioned", answer.tenant)
        log.info("provisioned for clinic %s", answer.tenant)
        return answer.tenant


async def _session(
    claim: MqttSettings,
    serial: str,
    request: ProvisionRequest,
    retry_s: float,
    on_status: StatusCallback,
) -> ProvisionResponse:
    ctx = await asyncio.to_thread(tls_context, claim)
    client = aiomqtt.Client(
        claim.host,
        claim.port,
        identifier=serial,
        protocol=aiomqtt.ProtocolVersion.V5,
        tls_context=ctx,
        timeout=10,
    )
    async with contextlib.AsyncExitStack() as stack:
        await connect(stack, client, claim, ctx)
        await client.subscribe(response_topic(serial), qos=1)
        while True:
            await client.publish(request_topic(serial), request.model_dump_json(), qos=1)
            answer = await _next_answer(client, serial, retry_s)
            if answer is None:
                continue
            if answer.status == "issued" and answer.cert_pem and answer.tenant:
                return answer
            on_status(answer.status, answer.reason)
            await asyncio.sleep(retry_s)


async def _next_answer(
    client: aiomqtt.Client, serial: str, wait_s: float
) -> ProvisionResponse | None:
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(wait_s):
            async for message in client.messages:
                payload = message.payload
                if not isinstance(payload, bytes | str):
                    continue
                try:
                    answer = ProvisionResponse.model_validate_json(payload)
                except ValidationError:
                    continue
                if answer.serial == serial:
                    return answer
    return None
