"""LoRaWAN network-server integrations: managed by tenant admins, called by the servers."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from ...connectivity import integrations
from ...connectivity.network_servers import handle_event
from ..deps import (
    CONTROL_MAX,
    CtxDep,
    Id,
    JsonBody,
    JSONResponse,
    Object,
    Objects,
    body_doc,
    quick_read,
    read_body,
)
from ..openapi import problems

router = APIRouter(tags=["intégrations LoRaWAN"])
INTEGRATION_EXAMPLE = {"kind": "chirpstack", "name": "ChirpStack du syndicat",
                       "config": {"api_url": "https://chirpstack.example.fr",
                                  "api_key": "eyJ0eXAiOiJKV1Qi…"}}


def _with_secret(row, secret: str) -> dict:
    return {**integrations.integration_public(row), "secret": secret}


@router.get("/tenants/{tenant}/integrations", response_model=Objects)
def list_integrations(ctx: CtxDep, tenant: str):
    with ctx.reading(tenant) as (scope, conn):
        return JSONResponse([integrations.integration_public(r)
                             for r in integrations.list_integrations(scope, conn)])


@router.post("/tenants/{tenant}/integrations", status_code=201,
             openapi_extra=body_doc(INTEGRATION_EXAMPLE), response_model=Object)
def create_integration(ctx: CtxDep, tenant: str, body: JsonBody):
    """Create an integration; its ``secret`` is in this answer only (keep it)."""
    with ctx.writing(tenant) as (scope, conn):
        row, secret = integrations.create_integration(scope, conn, body)
        return JSONResponse(_with_secret(row, secret), status_code=201)


@router.get("/tenants/{tenant}/integrations/{integration_id}", response_model=Object)
def get_integration(ctx: CtxDep, tenant: str, integration_id: Id):
    with ctx.reading(tenant) as (scope, conn):
        return JSONResponse(integrations.integration_public(
            integrations.get_integration(scope, conn, integration_id)))


@router.patch("/tenants/{tenant}/integrations/{integration_id}",
              openapi_extra=body_doc({"config": {"api_key": "nouvelle clé"}}), response_model=Object)
def update_integration(ctx: CtxDep, tenant: str, integration_id: Id, body: JsonBody):
    with ctx.writing(tenant) as (scope, conn):
        return JSONResponse(integrations.integration_public(
            integrations.update_integration(scope, conn, integration_id, body)))


@router.post("/tenants/{tenant}/integrations/{integration_id}/secret", status_code=201, response_model=Object)
def renew_secret(ctx: CtxDep, tenant: str, integration_id: Id):
    """A new secret (shown once); the previous one stops working at once."""
    with ctx.writing(tenant) as (scope, conn):
        row, secret = integrations.renew_secret(scope, conn, integration_id)
        return JSONResponse(_with_secret(row, secret), status_code=201)


@router.delete("/tenants/{tenant}/integrations/{integration_id}", status_code=204)
def delete_integration(ctx: CtxDep, tenant: str, integration_id: Id):
    with ctx.writing(tenant) as (scope, conn):
        integrations.delete_integration(scope, conn, integration_id)
    return Response(status_code=204)


# -- called by the network servers, authenticated by the integration's secret ---------------
async def _integration(request: Request, integration: str):
    """The integration the secret opens: checked before the body is read."""
    header = request.headers.get("authorization") or ""
    scheme, _, secret = header.partition(" ")
    db = request.app.state.db
    return await quick_read(db, _authenticate, db, integration,
                            secret.strip() if scheme.lower() == "bearer" else None)


def _authenticate(db, integration: str, secret: str | None):
    with db.read() as conn:
        return integrations.authenticate(conn, integration, secret)


IntegrationDep = Annotated[Any, Depends(_integration)]


async def _event(request: Request, row: IntegrationDep) -> bytes:
    return await read_body(request, CONTROL_MAX)


EventBody = Annotated[bytes, Depends(_event)]


@router.post("/integrations/{integration}/{provider}",
             openapi_extra=body_doc({"deviceInfo": {"devEui": "0101010101010101"},
                                     "fPort": 1, "data": "qg=="}), response_model=Object,
             responses=problems(401, 404, 409, 413))
def network_server_event(request: Request, row: IntegrationDep, body: EventBody,
                         provider: str):
    """An event of the integration's network server: ``provider`` is its kind —
    ``chirpstack`` (ChirpStack v4 HTTP integration, JSON, ``?event=up|join|status|ack|txack…``),
    ``tts`` (The Things Stack v3 webhook), ``thingpark`` (ThingPark LRC reports, JSON), or a
    network server added by a plug-in."""
    app = request.app.state
    return JSONResponse(handle_event(app.db, app.registry, row, provider,
                                     dict(request.query_params), body))
