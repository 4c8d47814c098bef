"""Commands: create, follow and cancel orders sent to the devices of assets."""

from __future__ import annotations

from fastapi import APIRouter, Request

from ...core import commands
from ...core.errors import Invalid
from ..deps import (
    CtxDep,
    Id,
    IdQuery,
    JsonBody,
    JSONResponse,
    Limit,
    Object,
    Objects,
    OptionalBody,
    body_doc,
)
from ..openapi import problems

router = APIRouter(tags=["commandes"])
COMMAND_EXAMPLE = {"asset_id": 12, "action": "lighting.set_dimming", "params": {"level": 40},
                   "not_before": "2026-12-01T21:30:00+01:00", "recurrence": "daily 21:30"}


@router.get("/commands/actions", response_model=Objects)
def list_actions(request: Request):
    """Every action the loaded domains offer, with its parameters as JSON Schema."""
    registry = request.app.state.registry
    return JSONResponse([commands.spec_public(spec, registry)
                         for spec in commands.command_specs(registry).values()])


@router.get("/tenants/{tenant}/assets/{asset_id}/commands/available", response_model=Objects)
def available_actions(ctx: CtxDep, tenant: str, asset_id: Id):
    """The actions that apply to this asset: ``available`` now or not, with the French
    ``reason`` (no device attached…) — the rule that refuses a command."""
    with ctx.reading(tenant) as (scope, conn):
        return JSONResponse(commands.available_actions(scope, conn, ctx.registry, asset_id))


@router.post("/tenants/{tenant}/commands", status_code=201,
             openapi_extra=body_doc(COMMAND_EXAMPLE), response_model=Object)
def create_command(ctx: CtxDep, tenant: str, body: JsonBody):
    """Request (or schedule) an action on an asset; follow it by its id."""
    with ctx.writing(tenant) as (scope, conn):
        row = commands.create_command(scope, conn, ctx.registry, body)
        return JSONResponse(commands.command_public(row, ctx.registry), status_code=201)


@router.get("/tenants/{tenant}/commands", response_model=Objects)
def list_commands(ctx: CtxDep, tenant: str, asset_id: IdQuery = None,
                  status: str | None = None, limit: Limit = 100):
    """Newest first, optionally for one asset and/or in one state."""
    with ctx.reading(tenant) as (scope, conn):
        rows = commands.list_commands(scope, conn, asset_id, status, limit)
        return JSONResponse([commands.command_public(r, ctx.registry) for r in rows])


@router.get("/tenants/{tenant}/commands/{command_id}", response_model=Object)
def get_command(ctx: CtxDep, tenant: str, command_id: Id):
    with ctx.reading(tenant) as (scope, conn):
        return JSONResponse(commands.command_public(
            commands.get_command(scope, conn, command_id), ctx.registry))


@router.post("/tenants/{tenant}/commands/{command_id}/cancel",
             openapi_extra=body_doc({"reason": "intervention en cours"}, required=False), response_model=Object,
             responses=problems(409))
def cancel_command(ctx: CtxDep, tenant: str, command_id: Id, body: OptionalBody):
    """Cancel a scheduled or requested command (optional body: ``{"reason": "..."}``)."""
    reason = body.get("reason")
    if reason is not None and not isinstance(reason, str):
        raise Invalid("« reason » doit être un texte.")
    with ctx.writing(tenant) as (scope, conn):
        row = commands.cancel_command(scope, conn, command_id, reason)
        return JSONResponse(commands.command_public(row, ctx.registry))
