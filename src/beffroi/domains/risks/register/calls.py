"""The call list of an episode (heat wave, flood alert on a zone) and its follow-up.

``call_list(scope, conn, persons_filter)`` answers the persons to call, by priority: those
living alone with needs first, then those living alone or with needs, then the others
(more needs first, a medical device counting twice), then by name; each with their phones,
contacts and follow-up since the episode started (``PersonsFilter.since_ms``). Follow-up
states: ``called`` (appelé), ``reached`` (joint), ``visit_needed`` (besoin d'une visite),
``visited`` (visite faite), each timestamped with who recorded it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from shapely.geometry import Point, shape
from sqlalchemy import Connection, select

from ....core import clock
from ....core.access import TenantScope
from ....core.errors import Invalid
from ....core.geometry import validate_geometry
from ....storage import schema
from .persons import _contacts_of, _person_row, _rows, audit_read
from .referents import require_referent

STATES = {"called": "appelé", "reached": "joint", "visit_needed": "besoin d'une visite",
          "visited": "visite faite"}


@dataclass(frozen=True)
class PersonsFilter:
    communes: tuple[str, ...] | None = None  # INSEE codes; None: every visible commune
    geometry: Mapping[str, Any] | None = None  # a flood zone (Polygon / MultiPolygon)
    since_ms: int | None = None  # the episode's start: follow-ups before it are left out


def priority(lives_alone: bool, needs: list[str]) -> int:
    """1 alone with needs, 2 alone or with needs, 3 otherwise."""
    return 3 - int(bool(lives_alone)) - int(bool(needs))


def _sort_key(row) -> tuple:
    needs = orjson.loads(row.needs)
    weight = len(needs) + ("medical_device" in needs)
    return (priority(row.lives_alone, needs), -weight, row.last_name, row.first_name, row.id)


def call_list(scope: TenantScope, conn: Connection, persons_filter: PersonsFilter
              ) -> list[dict[str, Any]]:
    require_referent(scope, conn)
    p = schema.register_persons
    clauses = []
    if persons_filter.communes is not None:
        clauses.append(p.c.commune_insee.in_(list(persons_filter.communes)))
    rows = _rows(scope, conn, *clauses)
    if persons_filter.geometry is not None:
        try:
            zone = shape(validate_geometry(persons_filter.geometry, ("Polygon", "MultiPolygon")))
        except ValueError as exc:
            raise Invalid("Zone refusée.", errors=[{"field": "geometry", "message": str(exc)}]
                          ) from None
        rows = [r for r in rows if zone.covers(Point(r.lon, r.lat))]
    rows.sort(key=_sort_key)
    ids = [r.id for r in rows]
    contacts = _contacts_of(scope, conn, ids)
    history = _history(scope, conn, ids, persons_filter.since_ms)
    audit_read(scope, conn, "call_list", ids)
    out = []
    for r in rows:
        needs = orjson.loads(r.needs)
        calls = history.get(r.id, [])
        out.append({"id": r.id, "commune": r.commune_insee, "last_name": r.last_name,
                    "first_name": r.first_name, "address": r.address,
                    "location": {"type": "Point", "coordinates": [r.lon, r.lat]},
                    "phones": orjson.loads(r.phones), "lives_alone": bool(r.lives_alone),
                    "needs": needs, "priority": priority(r.lives_alone, needs),
                    "contacts": contacts.get(r.id, []), "calls": calls,
                    "state": calls[-1]["state"] if calls else None})
    return out


def _history(scope, conn, ids, since_ms) -> dict[int, list[dict[str, Any]]]:
    c, u = schema.register_calls, schema.users
    if not ids:
        return {}
    query = (select(c, u.c.email).outerjoin(u, u.c.id == c.c.by_user_id)
             .where(scope.owns(c), c.c.person_id.in_(ids)).order_by(c.c.at, c.c.id))
    if since_ms is not None:
        query = query.where(c.c.at >= since_ms)
    out: dict[int, list[dict[str, Any]]] = {}
    for row in conn.execute(query):
        out.setdefault(row.person_id, []).append(
            {"state": row.state, "label": STATES[row.state],
             "at": clock.format_instant(row.at), "by": row.email, "note": row.note})
    return out


def record_call(scope: TenantScope, conn: Connection, person_id: int, body: Any
                ) -> dict[str, Any]:
    """Record a follow-up step ``{"state": …, "note": …}``; answers the person's steps."""
    require_referent(scope, conn)
    if not isinstance(body, Mapping):
        raise Invalid("Objet JSON attendu : le suivi de l'appel.")
    errors = [{"field": k, "message": f"champ inconnu « {k} »."}
              for k in body if k not in ("state", "note")]
    state = body.get("state")
    if not isinstance(state, str) or state not in STATES:  # a list or an object: unhashable
        errors.append({"field": "state", "message": "État : « called » (appelé), « reached » "
                       "(joint), « visit_needed » (besoin d'une visite) ou « visited » "
                       "(visite faite)."})
    note = body.get("note")
    if note is not None and (not isinstance(note, str) or len(note) > 1000):
        errors.append({"field": "note", "message": "Note : texte de 1000 caractères au plus."})
    if errors:
        raise Invalid("Suivi refusé : rien n'a été enregistré.", errors=errors)
    _person_row(scope, conn, person_id)
    calls = schema.register_calls
    conn.execute(calls.insert().values(
        tenant_id=scope.tenant_id, id=scope.db.allocate_ids(conn, "register_calls"),
        person_id=person_id, state=body["state"], at=clock.now_ms(),
        by_user_id=scope.principal.user_id, note=(note or "").strip() or None))
    scope.audit(conn, "register.call", "register_person", person_id, {"state": body["state"]})
    history = _history(scope, conn, [person_id], None).get(person_id, [])
    audit_read(scope, conn, "calls", [person_id], person_id=person_id)
    return {"id": person_id, "calls": history, "state": history[-1]["state"]}
