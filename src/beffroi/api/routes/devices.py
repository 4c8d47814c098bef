"""Devices (sensors, controllers), their ingest tokens and their MQTT credentials."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from ...connectivity import mqtt_broker
from ...core import devices
from ..deps import CtxDep, Id, IdQuery, JsonBody, JSONResponse, Object, Objects, body_doc
from ..openapi import problems

router = APIRouter(tags=["capteurs"])
DEVICE_EXAMPLE = {"name": "Compteur armoire 12", "dev_eui": "70b3d5e75e001234",
                  "model": "generic-lora-meter", "asset_id": 1}


@router.get("/tenants/{tenant}/devices", response_model=Objects)
def list_devices(ctx: CtxDep, tenant: str, asset_id: IdQuery = None):
    with ctx.reading(tenant) as (scope, conn):
        return JSONResponse([devices.device_public(r)
                             for r in devices.list_devices(scope, conn, asset_id)])


@router.post("/tenants/{tenant}/devices", status_code=201, openapi_extra=body_doc(DEVICE_EXAMPLE), response_model=Object,
             responses=problems(409))
def create_device(ctx: CtxDep, tenant: str, body: JsonBody):
    with ctx.writing(tenant) as (scope, conn):
        return JSONResponse(devices.device_public(devices.create_device(scope, conn, body, ctx.registry)),
                            status_code=201)


@router.get("/tenants/{tenant}/devices/{device_id}", response_model=Object)
def get_device(ctx: CtxDep, tenant: str, device_id: Id):
    with ctx.reading(tenant) as (scope, conn):
        return JSONResponse(devices.device_public(devices.get_device(scope, conn, device_id)))


@router.patch("/tenants/{tenant}/devices/{device_id}", openapi_extra=body_doc({"asset_id": 2}), response_model=Object,
              responses=problems(409))
def update_device(ctx: CtxDep, tenant: str, device_id: Id, body: JsonBody):
    with ctx.writing(tenant) as (scope, conn):
        return JSONResponse(devices.device_public(devices.update_device(scope, conn, device_id, body, ctx.registry)))


@router.delete("/tenants/{tenant}/devices/{device_id}", status_code=204)
def delete_device(ctx: CtxDep, tenant: str, device_id: Id):
    with ctx.writing(tenant) as (scope, conn):
        devices.delete_device(scope, conn, device_id)
    return Response(status_code=204)


@router.post("/tenants/{tenant}/devices/{device_id}/tokens", status_code=201, response_model=Object)
def create_device_token(ctx: CtxDep, tenant: str, device_id: Id):
    """An ingest token for the device (shown once); it may only feed the device's streams."""
    with ctx.writing(tenant) as (scope, conn):
        return JSONResponse(devices.create_device_token(scope, conn, device_id), status_code=201)


@router.post("/tenants/{tenant}/devices/{device_id}/mqtt-credentials", status_code=201, response_model=Object)
def issue_mqtt_credentials(ctx: CtxDep, tenant: str, device_id: Id):
    """New MQTT broker credentials for the device (tenant admins; the password is shown
    once). They take effect, and the previous ones stop working, once the operator has
    regenerated the broker files (``beffroi mqtt broker-config``)."""
    with ctx.writing(tenant) as (scope, conn):
        return JSONResponse(mqtt_broker.issue_credentials(scope, conn, device_id),
                            status_code=201)


@router.delete("/tenants/{tenant}/devices/{device_id}/mqtt-credentials", status_code=204)
def revoke_mqtt_credentials(ctx: CtxDep, tenant: str, device_id: Id):
    with ctx.writing(tenant) as (scope, conn):
        mqtt_broker.revoke_credentials(scope, conn, device_id)
    return Response(status_code=204)
