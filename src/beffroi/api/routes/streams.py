"""Streams, observation batches (JSON or CSV), history imports, series and latest values."""

from __future__ import annotations

import asyncio

import orjson
from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from ...core import observation_import, observations, series, storable, streams
from ...core.clock import DAY_MS, now_ms, parse_instant
from ...core.errors import Invalid
from ...core.textfiles import json_error_text
from ..deps import CtxDep, Id, IdQuery, JsonBody, JSONResponse, Object, Objects, RawBody, body_doc
from ..openapi import problems
from ..problems import problem

router = APIRouter(tags=["flux et mesures"])
OBS_EXAMPLE = [{"stream_id": 12, "time": "2026-11-22T08:00:00Z", "value": 3.42},
               {"asset": "ARM-REM-001", "metric": "energy.active_import",
                "time": "2026-11-22T08:00:00+01:00", "value": 1532.7}]
OBS_SCHEMA = {"type": "array", "items": {"type": "object", "properties": {
    "stream_id": {"type": "integer"}, "asset": {"type": "string"}, "metric": {"type": "string"},
    "time": {"type": "string"}, "value": {"type": "number"}, "quality": {"type": "string"}}}}


@router.get("/tenants/{tenant}/streams", response_model=Objects)
def list_streams(ctx: CtxDep, tenant: str, asset_id: IdQuery = None, metric: str | None = None):
    with ctx.reading(tenant) as (scope, conn):
        return JSONResponse([streams.stream_public(r, ctx.registry) for r in
                             streams.list_streams(scope, conn, asset_id=asset_id, metric=metric)])


@router.post("/tenants/{tenant}/streams", status_code=201,
             openapi_extra=body_doc({"asset_id": 1, "metric": "energy.active_import"}), response_model=Object,
             responses=problems(409))
def create_stream(ctx: CtxDep, tenant: str, body: JsonBody):
    with ctx.writing(tenant) as (scope, conn):
        row = streams.create_stream(scope, conn, ctx.registry, body)
        return JSONResponse(streams.stream_public(row, ctx.registry), status_code=201)


@router.get("/tenants/{tenant}/streams/{stream_id}", response_model=Object)
def get_stream(ctx: CtxDep, tenant: str, stream_id: Id):
    with ctx.reading(tenant) as (scope, conn):
        return JSONResponse(streams.stream_public(streams.get_stream(scope, conn, stream_id),
                                                  ctx.registry))


@router.patch("/tenants/{tenant}/streams/{stream_id}", openapi_extra=body_doc({"device_id": 3}), response_model=Object)
def update_stream(ctx: CtxDep, tenant: str, stream_id: Id, body: JsonBody):
    with ctx.writing(tenant) as (scope, conn):
        return JSONResponse(streams.stream_public(
            streams.update_stream(scope, conn, stream_id, body), ctx.registry))


@router.delete("/tenants/{tenant}/streams/{stream_id}", status_code=204)
def delete_stream(ctx: CtxDep, tenant: str, stream_id: Id):
    with ctx.writing(tenant) as (scope, conn):
        streams.delete_stream(scope, conn, stream_id)
    return Response(status_code=204)


@router.get("/tenants/{tenant}/streams/{stream_id}/series", response_model=Object)
def get_series(ctx: CtxDep, tenant: str, stream_id: Id, step: str = "raw", agg: str = "mean",
               start: str | None = None, end: str | None = None):
    """Raw or aggregated points in [start, end) (ISO 8601; default: the last 24 hours).

    ``step=1h`` and ``step=1d`` are served from the rollups (days in local time).
    """
    try:
        end_ms = parse_instant(end) if end else now_ms()
        start_ms = parse_instant(start) if start else end_ms - DAY_MS
    except ValueError as exc:
        raise Invalid(f"Période invalide : {exc}.",
                      errors=[{"field": "start/end", "message": str(exc)}]) from None
    with ctx.reading(tenant) as (scope, conn):
        return JSONResponse(series.series(scope, conn, stream_id, start_ms, end_ms, step, agg))


@router.get("/tenants/{tenant}/latest", response_model=Objects)
def latest(ctx: CtxDep, tenant: str, streams: str | None = None, assets: str | None = None,
           kind: str | None = None):
    """Latest value of many streams at once (by stream ids, asset ids or asset kind)."""
    stream_ids = series.parse_id_list(streams, "streams")
    asset_ids = series.parse_id_list(assets, "assets")
    with ctx.reading(tenant) as (scope, conn):
        return JSONResponse(series.latest(scope, conn, stream_ids=stream_ids,
                                          asset_ids=asset_ids, kind=kind))


@router.post("/tenants/{tenant}/observations", openapi_extra={
    "requestBody": {"required": True, "content": {
        "application/json": {"example": OBS_EXAMPLE, "schema": {"anyOf": [
            OBS_SCHEMA, {"type": "object", "properties": {"observations": OBS_SCHEMA}}]}},
        "text/csv": {"example": "stream_id,time,value\n12,2026-11-22T08:00:00Z,3.42\n",
                     "schema": {"type": "string"}}}}}, response_model=Object,
             responses=problems(415))
async def post_observations(request: Request, ctx: CtxDep, tenant: str, body: RawBody):
    """Store a batch (JSON list or CSV); idempotent on (stream, time).

    200 when every item was accepted; 422 problem+json listing each rejected
    item (index and reason) otherwise; the valid items are stored either way.
    The answer comes once the batch is committed. Small JSON batches (a sensor's
    reading) are committed together with the other small writes waiting (group commit).
    """
    content_type = request.headers.get("content-type", "application/json")
    if "csv" in content_type:
        report = await run_in_threadpool(_store_csv, ctx, tenant, body)
        return _ingest_answer(request, report)
    if "json" not in content_type and content_type:
        from fastapi import HTTPException

        raise HTTPException(415, "Type de contenu attendu : application/json ou text/csv.")
    if len(body) > SMALL_BODY:  # parsed off the event loop
        items = await run_in_threadpool(_json_items, body)
    else:
        items = _json_items(body)
    if isinstance(items, list) and len(items) <= observations.GROUPED_MAX:
        post = observations.Post(ctx.principal, tenant, items, ctx.registry)
        report = await asyncio.wrap_future(ctx.db.group_commit.submit(observations.store_posts,
                                                                       post))
    else:
        report = await run_in_threadpool(_store_items, ctx, tenant, items)
    return _ingest_answer(request, report)


SMALL_BODY = 64 * 1024


def _json_items(body: bytes):
    if not body.strip():
        raise Invalid("Corps de requête vide : une liste d'observations est attendue.")
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise Invalid(f"JSON mal formé : {json_error_text(exc)}.") from None
    wrapped = isinstance(doc, dict) and isinstance(doc.get("observations"), list)
    items = doc["observations"] if wrapped else doc
    found = storable.duplicate_keys(body, doc)
    if found:  # the items naming a key twice are refused, the others stored
        items = storable.refuse_items(items, found, ("observations",) if wrapped else ())
    return items


def _store_items(ctx, tenant: str, items) -> observations.IngestReport:
    with ctx.writing(tenant) as (scope, conn):
        return observations.ingest(scope, conn, ctx.registry, items)


def _store_csv(ctx, tenant: str, body: bytes) -> observations.IngestReport:
    batch = observations.parse_csv(body)
    with ctx.writing(tenant) as (scope, conn):
        return observations.ingest_csv(scope, conn, ctx.registry, batch)


def _ingest_answer(request: Request, report: observations.IngestReport):
    out = report.as_dict()
    if report.rejected:
        return problem(422, "Observations en partie rejetées",
                       f"{len(report.rejected)} observation(s) rejetée(s) sur {report.received} ; "
                       f"{report.stored} enregistrée(s), {report.duplicates} doublon(s).",
                       type_slug="observations-rejected", instance=request.url.path,
                       received=out["received"], stored=out["stored"],
                       duplicates=out["duplicates"], rejected_count=out["rejected_count"],
                       rejected=out["rejected"], **({"encoding": report.encoding}
                                                    if report.encoding else {}))
    return JSONResponse(out)


HISTORY_EXAMPLE = ("asset_ref;metric;time;value;quality\n"
                   "ARM-REM-001;energy.active_import;2024-01-15 08:00;1532,7;\n"
                   "ARM-REM-001;energy.active_import;2024-01-15T09:00:00+01:00;1534,1;good\n")


@router.post("/tenants/{tenant}/observations/import",
             openapi_extra=body_doc(HISTORY_EXAMPLE, "text/csv"), response_model=Object)
async def import_observations(
        request: Request, ctx: CtxDep, tenant: str, body: RawBody,
        dry_run: bool = Query(False, description="vérifier le fichier sans rien écrire"),
        partial: bool = Query(False, description="enregistrer les lignes valides même si "
                              "d'autres sont refusées")):
    """Import a history of readings (CSV: ``asset_ref`` or ``ref``, ``metric``, ``time``,
    ``value``, ``quality`` optional), as ``beffroi import observations`` does; returns the
    report: lines read, valid and refused (each refused line with its line number, column
    and reason), readings stored and already there, streams created, the period and each
    equipment and metric's share.

    Equipment is named by its reference in the tenant of the path only. Idempotent on
    (stream, time): a file imported again stores nothing and counts its readings as already
    there. All-or-nothing unless ``partial=true`` (the valid lines are kept);
    ``dry_run=true`` only checks. 422 problem+json carrying the report when the file is
    refused as a whole (a line refused without ``partial``, or no valid line), dry run
    included: the answer says what the import does or would do.
    """
    report = await run_in_threadpool(_import_history, ctx, tenant, body, dry_run, partial)
    if report["refused"] and (not partial or not report["valid"]):
        outcome = "ne serait enregistrée" if dry_run else "n'a été enregistrée"
        return problem(422, "Import refusé", f"{report['refused']} ligne(s) refusée(s) sur "
                       f"{report['read']} : aucune mesure {outcome}.",
                       type_slug="import-rejected", instance=request.url.path, **report)
    return JSONResponse(report)


def _import_history(ctx, tenant: str, body: bytes, dry_run: bool, partial: bool) -> dict:
    """Check the file (the caller's rights first), then store it unless ``dry_run``: the
    report as the API gives it (``CheckedHistory.as_dict``)."""
    with ctx.reading(tenant) as (scope, conn):
        scope.require("write")
        history = observation_import.read_history(body)
        checked = observation_import.check_history(scope, conn, ctx.registry, history)
    del history  # the file's text: what is written is in ``checked``
    if not dry_run:
        observation_import.write_history(ctx.db, ctx.principal, ctx.registry, checked,
                                         partial=partial)
    return {**checked.as_dict(ctx.registry), "dry_run": dry_run, "partial": partial}
