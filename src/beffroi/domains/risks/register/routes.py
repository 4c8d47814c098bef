"""The register over HTTP (see the package docstring). Every route opens a write
transaction, reads included: a read is audited in the same transaction as it is made.
Only the register's referents pass (403 with a French message for every other role);
the referents themselves are designated by a territory administrator."""

from __future__ import annotations

from fastapi import APIRouter, Query, Response

from ....plugin import (
    CtxDep,
    Id,
    Invalid,
    JsonBody,
    JSONResponse,
    Object,
    Objects,
    body_doc,
    parse_instant,
)
from .calls import PersonsFilter, call_list, record_call
from .persons import (
    CONSENT_TEXT,
    CONSENT_VERSION,
    confirm,
    delete_person,
    enrol,
    export_csv,
    get_person,
    list_persons,
    persons_in_polygon,
    replace_person,
)
from .referents import grant_referent, list_referents, require_referent, revoke_referent

router = APIRouter(tags=["registre des personnes vulnérables"])
BASE = "/tenants/{tenant}/risks/register"
PERSON_EXAMPLE = {
    "last_name": "Exemple", "first_name": "Jeanne", "birth_date": "1938-04-02",
    "category": "senior", "commune": "88383", "address": "3 rue des Tilleuls",
    "location": {"type": "Point", "coordinates": [6.5912, 48.1709]},
    "phones": ["03 29 00 00 01"], "needs": ["mobility"], "lives_alone": True,
    "doctor": "Dr Martin, Épinal",
    "contacts": [{"name": "Paul Exemple", "relation": "family", "phone": "06 00 00 00 02"}],
    "consent": {"given": True, "enrolled_by": "self", "request_date": "2026-05-12",
                "version": CONSENT_VERSION}}
CALL_EXAMPLE = {"state": "reached", "note": "Va bien, a de l'eau."}
ZONE_EXAMPLE = {"type": "Polygon", "coordinates": [[[6.5, 48.1], [6.7, 48.1], [6.7, 48.2],
                                                    [6.5, 48.2], [6.5, 48.1]]]}


@router.get(f"{BASE}/consent", response_model=Object)
def consent(ctx: CtxDep, tenant: str):
    """The consent text in force and its version (what the enrolment form shows);
    referents only, like every route of the register."""
    with ctx.reading(tenant) as (scope, conn):
        require_referent(scope, conn)
        return JSONResponse({"version": CONSENT_VERSION, "text": CONSENT_TEXT})


@router.get(f"{BASE}/persons", response_model=Objects)
def persons(ctx: CtxDep, tenant: str, commune: str | None = Query(None, max_length=5)):
    """The persons of the register (of the caller's communes), by name. Audited."""
    with ctx.writing(tenant) as (scope, conn):
        return JSONResponse(list_persons(scope, conn, commune))


@router.post(f"{BASE}/persons", status_code=201, openapi_extra=body_doc(PERSON_EXAMPLE),
             response_model=Object)
def enrol_person(ctx: CtxDep, tenant: str, body: JsonBody):
    """Enrol a person from their (or a third party's) written request, with consent."""
    with ctx.writing(tenant) as (scope, conn):
        return JSONResponse(enrol(scope, conn, body), status_code=201)


@router.post(f"{BASE}/persons/within", openapi_extra=body_doc(ZONE_EXAMPLE),
             response_model=Objects)
def within(ctx: CtxDep, tenant: str, body: JsonBody):
    """The persons living inside a GeoJSON Polygon/MultiPolygon (a flood zone). Audited."""
    with ctx.writing(tenant) as (scope, conn):
        return JSONResponse(persons_in_polygon(scope, conn, body))


@router.get(f"{BASE}/persons/{{person_id:int}}", response_model=Object)
def person(ctx: CtxDep, tenant: str, person_id: Id):
    """One person's record. Audited."""
    with ctx.writing(tenant) as (scope, conn):
        return JSONResponse(get_person(scope, conn, person_id))


@router.put(f"{BASE}/persons/{{person_id:int}}", openapi_extra=body_doc(PERSON_EXAMPLE),
            response_model=Object)
def rectify(ctx: CtxDep, tenant: str, person_id: Id, body: JsonBody):
    """Rectify a record (the whole form); counts as a re-confirmation."""
    with ctx.writing(tenant) as (scope, conn):
        return JSONResponse(replace_person(scope, conn, person_id, body))


@router.delete(f"{BASE}/persons/{{person_id:int}}", response_model=Object)
def remove(ctx: CtxDep, tenant: str, person_id: Id):
    """Delete a record on the person's request: nothing of it is kept."""
    with ctx.writing(tenant) as (scope, conn):
        return JSONResponse(delete_person(scope, conn, person_id))


@router.post(f"{BASE}/persons/{{person_id:int}}/confirm", response_model=Object)
def reconfirm(ctx: CtxDep, tenant: str, person_id: Id):
    """The person confirmed their enrolment: the retention period starts again."""
    with ctx.writing(tenant) as (scope, conn):
        return JSONResponse(confirm(scope, conn, person_id))


@router.post(f"{BASE}/persons/{{person_id:int}}/calls", openapi_extra=body_doc(CALL_EXAMPLE),
             response_model=Object)
def follow_up(ctx: CtxDep, tenant: str, person_id: Id, body: JsonBody):
    """Record a call follow-up: called, reached, visit_needed or visited."""
    with ctx.writing(tenant) as (scope, conn):
        return JSONResponse(record_call(scope, conn, person_id, body), status_code=201)


@router.get(f"{BASE}/calls", response_model=Objects)
def calls(ctx: CtxDep, tenant: str,
          commune: list[str] | None = Query(None, description="codes INSEE (répétable)"),
          since: str | None = Query(None, description="début de l'épisode (ISO 8601)")):
    """The call list of an episode: persons by priority with their follow-up since
    ``since``. Audited."""
    since_ms = None
    if since:
        try:
            since_ms = parse_instant(since)
        except ValueError as exc:
            raise Invalid("Paramètre refusé.", errors=[{"field": "since", "message": str(exc)}]
                          ) from None
    with ctx.writing(tenant) as (scope, conn):
        return JSONResponse(call_list(scope, conn, PersonsFilter(
            tuple(commune) if commune else None, None, since_ms)))


@router.get(f"{BASE}/export.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}})
def export(ctx: CtxDep, tenant: str):
    """The register for the préfet (CSV « ; », UTF-8). Audited."""
    with ctx.writing(tenant) as (scope, conn):
        text = export_csv(scope, conn)
    return Response(text.encode("utf-8"), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": 'attachment; filename="registre-personnes-vulnerables.csv"',
        "Cache-Control": "no-store"})


@router.get(f"{BASE}/referents", response_model=Objects)
def referents(ctx: CtxDep, tenant: str):
    """The members designated as referents of the register (administrators)."""
    with ctx.reading(tenant) as (scope, conn):
        return JSONResponse(list_referents(scope, conn))


@router.put(f"{BASE}/referents/{{user_id}}", response_model=Objects)
def grant(ctx: CtxDep, tenant: str, user_id: Id):
    """Designate a member as a referent of the register (administrators; audited)."""
    with ctx.writing(tenant) as (scope, conn):
        return JSONResponse(grant_referent(scope, conn, user_id))


@router.delete(f"{BASE}/referents/{{user_id}}", response_model=Objects)
def revoke(ctx: CtxDep, tenant: str, user_id: Id):
    """Withdraw a member's access to the register (administrators; audited)."""
    with ctx.writing(tenant) as (scope, conn):
        return JSONResponse(revoke_referent(scope, conn, user_id))
