"""The main courante over HTTP (``crisis_log``, ``crisis_log_pdf``).

- ``GET /tenants/{t}/risks/crisis-logs`` (readers), ``POST`` (agents, administrators:
  ``{title, risk}``; 409 while another log is open);
- ``GET …/crisis-logs/{id}`` (the log and its entries in time order),
  ``POST …/crisis-logs/{id}/close``;
- ``POST …/crisis-logs/{id}/entries`` (append only: no route changes or deletes an entry;
  a correction is a new entry with ``corrects``);
- ``GET …/crisis-logs/{id}.pdf``: the PDF for the PCS debriefing.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from ...plugin import (
    CtxDep,
    Id,
    JsonBody,
    JSONResponse,
    Object,
    Objects,
    body_doc,
    now_ms,
    problems,
)
from .crisis_log import add_entry, close_log, get_log, list_logs, open_log
from .crisis_log_pdf import log_pdf

router = APIRouter()
BASE = "/tenants/{tenant}/risks/crisis-logs"


@router.get(BASE, response_model=Objects)
def logs(ctx: CtxDep, tenant: str):
    """The territory's logs, open ones first."""
    with ctx.reading(tenant) as (scope, conn):
        return JSONResponse(list_logs(scope, conn))


@router.post(BASE, status_code=201, response_model=Object,
             openapi_extra=body_doc({"title": "Crue de la Moselle — janvier", "risk": "crue"}),
             responses=problems(409))
def create(ctx: CtxDep, tenant: str, body: JsonBody):
    """Open the main courante of an event (409 while another one is open: its id is in
    ``log_id``)."""
    with ctx.writing(tenant) as (scope, conn):
        return JSONResponse(open_log(scope, conn, body, now_ms()), status_code=201)


# Before ``{log_id}``: « 3.pdf » is not an id.
@router.get(f"{BASE}/{{log_id:int}}.pdf", response_class=Response, include_in_schema=False)
def pdf(ctx: CtxDep, tenant: str, log_id: Id):
    """The log as a PDF (A4) for the PCS debriefing (out of the OpenAPI document, as the
    impact report's PDF)."""
    with ctx.reading(tenant) as (scope, conn):
        content = log_pdf(scope, conn, log_id)
    return Response(content, media_type="application/pdf", headers={
        "Cache-Control": "private, no-store",
        "Content-Disposition": f'attachment; filename="main-courante-{log_id}.pdf"'})


@router.get(f"{BASE}/{{log_id:int}}", response_model=Object)
def read(ctx: CtxDep, tenant: str, log_id: Id):
    """The log and its entries, in time order."""
    with ctx.reading(tenant) as (scope, conn):
        return JSONResponse(get_log(scope, conn, log_id))


@router.post(f"{BASE}/{{log_id:int}}/close", response_model=Object, responses=problems(409))
def close(ctx: CtxDep, tenant: str, log_id: Id):
    """Close the log: no entry is added any more."""
    with ctx.writing(tenant) as (scope, conn):
        return JSONResponse(close_log(scope, conn, log_id, now_ms()))


@router.post(f"{BASE}/{{log_id:int}}/entries", status_code=201, response_model=Object,
             openapi_extra=body_doc({"kind": "décision", "text": "Fermeture du pont de la "
                                     "Moselle", "at": "2026-01-12T14:30:00+01:00",
                                     "assets": [12], "population_alerts": [3]}),
             responses=problems(409))
def append(ctx: CtxDep, tenant: str, log_id: Id, body: JsonBody):
    """Append an entry (``corrects`` names the entry it corrects)."""
    with ctx.writing(tenant) as (scope, conn):
        return JSONResponse(add_entry(scope, conn, log_id, body, now_ms()), status_code=201)
