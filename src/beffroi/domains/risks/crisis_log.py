"""The main courante (crisis log): one log per event, timestamped entries, append-only.

Plain-function API (routes in ``crisis_log_routes``, under ``/api/v1/tenants/{t}/risks/``):

- ``open_log(scope, conn, data, now)`` ``{title, risk}`` (agents, administrators): one open
  log per territory at a time (the crisis page keeps « the » current event's log), so a
  second one is refused (``Conflict``, 409, naming the open one) until it is closed;
  ``close_log(scope, conn, log_id, now)``; ``list_logs`` / ``get_log`` (readers: the log and
  its entries in time order).
- ``add_entry(scope, conn, log_id, data, now)``: ``{text, kind, at?, corrects?, alerts?,
  assets?, calls?}`` — ``kind`` is ``observation``, ``décision``, ``action`` or ``appel``;
  ``at`` (ISO 8601, default now) is when it happened, ``recorded_at`` when it was written;
  ``alerts`` are population alerts (``population_alert``) or Beffroi alerts of the
  territory (``{"population": [ids], "alerts": [ids]}`` or a plain list of population
  alert ids), ``assets`` asset ids the author can see, ``calls`` ids of the call list
  (kept as given: the register's calls live elsewhere; validated as positive integers).
  Entries are never changed or deleted: a correction is a new entry whose ``corrects``
  names the corrected one (of the same log). A closed log takes no more entries.
- ``log_pdf(scope, conn, log_id)``: the PDF for the PCS debriefing (``crisis_log_pdf``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection, select, update

from ...core.access import TenantScope
from ...core.clock import format_instant, parse_instant
from ...core.errors import Conflict, Invalid, NotFound
from ...storage import schema
from .population_alert import RISKS

KINDS = {"observation": "Observation", "décision": "Décision", "action": "Action",
         "appel": "Appel"}
TITLE_MAX, TEXT_MAX, MAX_LINKS = 200, 4000, 50
LINK_KEYS = ("population_alerts", "alerts", "assets", "calls")


def log_public(row: Any) -> dict[str, Any]:
    return {"id": row.id, "title": row.title, "risk": row.risk, "status": row.status,
            "opened_at": format_instant(row.opened_at), "opened_by": row.opened_by,
            "closed_at": format_instant(row.closed_at), "closed_by": row.closed_by}


def entry_public(row: Any) -> dict[str, Any]:
    return {"id": row.id, "log_id": row.log_id, "at": format_instant(row.at),
            "recorded_at": format_instant(row.recorded_at), "author_id": row.author_id,
            "kind": row.kind, "text": row.text, "corrects": row.corrects_id,
            "links": orjson.loads(row.links)}


def open_log(scope: TenantScope, conn: Connection, data: Any, now: int) -> dict[str, Any]:
    scope.require("write")
    if not isinstance(data, dict):
        raise Invalid("Objet JSON attendu.")
    errors = [{"field": k, "message": "champ inconnu (attendus : title, risk)"}
              for k in sorted(set(data) - {"title", "risk"})]
    title = data.get("title")
    if not isinstance(title, str) or not title.strip() or len(title) > TITLE_MAX:
        errors.append({"field": "title", "message": f"texte de 1 à {TITLE_MAX} caractères "
                                                    "attendu"})
    if not isinstance(data.get("risk"), str) or data.get("risk") not in RISKS:
        errors.append({"field": "risk", "message": "crue, canicule, feu_de_foret ou autre "
                                                   "attendu"})
    if errors:
        raise Invalid("Main courante invalide.", errors=errors)
    scope.serialise_writes(conn)  # two opened at once (a double click): the second sees the first
    c = schema.crisis_logs
    already = conn.execute(select(c).where(scope.owns(c), c.c.status == "open")
                           .order_by(c.c.id.desc())).first()
    if already is not None:
        since = datetime.fromtimestamp(already.opened_at / 1000, scope.zone)
        raise Conflict(f"Une main courante est déjà ouverte : « {already.title} », depuis le "
                       f"{since:%d/%m/%Y à %H:%M}. Inscrivez-y les entrées de l'événement, ou "
                       "clôturez-la avant d'en ouvrir une autre.",
                       extra={"log_id": already.id})
    log_id = scope.db.allocate_ids(conn, "crisis_logs")
    conn.execute(schema.crisis_logs.insert().values(
        tenant_id=scope.tenant_id, id=log_id, title=title.strip(), risk=data["risk"],
        status="open", opened_at=now, opened_by=scope.principal.user_id))
    scope.audit(conn, "create", "crisis_log", log_id, {"title": title.strip(),
                                                       "risk": data["risk"]})
    return get_log(scope, conn, log_id)


def _log_row(scope: TenantScope, conn: Connection, log_id: int) -> Any:
    scope.require("read")
    c = schema.crisis_logs
    row = conn.execute(select(c).where(scope.owns(c), c.c.id == log_id)).first()
    if row is None:
        raise NotFound(f"Main courante {log_id} introuvable dans ce territoire.")
    return row


def close_log(scope: TenantScope, conn: Connection, log_id: int, now: int) -> dict[str, Any]:
    scope.require("write")
    row = _log_row(scope, conn, log_id)
    if row.status == "closed":
        raise Conflict("Cette main courante est déjà close.")
    c = schema.crisis_logs
    conn.execute(update(c).where(scope.owns(c), c.c.id == log_id).values(
        status="closed", closed_at=now, closed_by=scope.principal.user_id))
    scope.audit(conn, "update", "crisis_log", log_id, {"status": "closed"})
    return get_log(scope, conn, log_id)


def list_logs(scope: TenantScope, conn: Connection) -> list[dict[str, Any]]:
    """Open logs first, then the latest."""
    scope.require("read")
    c = schema.crisis_logs
    rows = conn.execute(select(c).where(scope.owns(c)).order_by(c.c.id.desc()))
    return sorted((log_public(r) for r in rows), key=lambda log: log["status"] != "open")


def entries(scope: TenantScope, conn: Connection, log_id: int) -> list[dict[str, Any]]:
    """In time order (``at``, then the order they were written)."""
    e = schema.crisis_log_entries
    return [entry_public(r) for r in conn.execute(
        select(e).where(scope.owns(e), e.c.log_id == log_id).order_by(e.c.at, e.c.id))]


def get_log(scope: TenantScope, conn: Connection, log_id: int) -> dict[str, Any]:
    """The log and its entries, each with its author's name (``author``) and the names of
    what it links (``link_names``: ``{key: {id: name}}``: a population alert's subject, an
    alert's title, an asset's name — only those the reader may see), as in the PDF."""
    row = _log_row(scope, conn, log_id)
    items = entries(scope, conn, log_id)
    u = schema.users
    names = {r.id: r.name or r.email for r in conn.execute(select(u.c.id, u.c.name, u.c.email)
             .where(u.c.id.in_({e["author_id"] for e in items if e["author_id"]} or {0})))}
    linked = _link_names(scope, conn, items)
    for item in items:
        item["author"] = names.get(item["author_id"])
        item["link_names"] = {key: {str(i): linked[key][i] for i in ids if i in linked[key]}
                              for key, ids in item["links"].items() if key in linked}
    return {**log_public(row), "entries": items}


def _link_names(scope: TenantScope, conn: Connection,
                items: list[dict[str, Any]]) -> dict[str, dict[int, str]]:
    """Names of every population alert, alert and asset the entries link."""
    wanted = {key: {i for e in items for i in e["links"].get(key, [])}
              for key in ("population_alerts", "alerts", "assets")}
    p, al, a = schema.population_alerts, schema.alerts, schema.assets
    out: dict[str, dict[int, str]] = {}
    for key, table, column, condition in (
            ("population_alerts", p, p.c.subject, scope.owns(p)),
            ("alerts", al, al.c.title, scope.owns(al)),
            ("assets", a, a.c.name, scope.asset_visible())):
        ids = sorted(wanted[key])
        out[key] = {r.id: r.name for r in conn.execute(
            select(table.c.id, column.label("name")).where(condition, table.c.id.in_(ids)))
        } if ids else {}
    return out


def _ids(value: Any, field: str, errors: list[dict[str, str]]) -> list[int]:
    if value is None:
        return []
    if (not isinstance(value, list) or len(value) > MAX_LINKS
            or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0
                       for v in value)):
        errors.append({"field": field, "message": f"liste de {MAX_LINKS} identifiants "
                                                  "(entiers positifs) au plus attendue"})
        return []
    return sorted(set(value))


def _missing(conn: Connection, condition: Any, table: Any, ids: list[int]) -> list[int]:
    if not ids:
        return []
    found = {r.id for r in conn.execute(select(table.c.id).where(condition,
                                                                 table.c.id.in_(ids)))}
    return [i for i in ids if i not in found]


def add_entry(scope: TenantScope, conn: Connection, log_id: int, data: Any,
              now: int) -> dict[str, Any]:
    """Append one entry (agents, administrators); answers it."""
    scope.require("write")
    log = _log_row(scope, conn, log_id)
    if log.status != "open":
        raise Conflict("Cette main courante est close : plus aucune entrée n'y est ajoutée.")
    if not isinstance(data, dict):
        raise Invalid("Objet JSON attendu.")
    allowed = {"text", "kind", "at", "corrects", *LINK_KEYS}
    errors = [{"field": k, "message": "champ inconnu"} for k in sorted(set(data) - allowed)]
    text = data.get("text")
    if text is None or isinstance(text, str) and not text.strip():
        errors.append({"field": "text", "message": "Texte de l'entrée : obligatoire (des "
                                                   "espaces seuls ne suffisent pas)"})
    elif not isinstance(text, str) or len(text) > TEXT_MAX:
        errors.append({"field": "text", "message": f"texte de 1 à {TEXT_MAX} caractères "
                                                   "attendu"})
    kind = data.get("kind")
    if not isinstance(kind, str) or kind not in KINDS:
        errors.append({"field": "kind", "message": "observation, décision, action ou appel "
                                                   "attendu"})
    at = now
    if data.get("at") is not None:
        try:
            at = parse_instant(data["at"])
        except ValueError as exc:
            errors.append({"field": "at", "message": str(exc)})
        else:
            if at > now + 300_000:
                errors.append({"field": "at", "message": "instant dans le futur"})
            elif at < log.opened_at - 86_400_000:
                errors.append({"field": "at", "message": "plus d'un jour avant l'ouverture de "
                                                         "la main courante"})
    corrects = data.get("corrects")
    e = schema.crisis_log_entries
    if corrects is not None:
        if not isinstance(corrects, int) or isinstance(corrects, bool) or corrects <= 0:
            errors.append({"field": "corrects", "message": "identifiant d'entrée attendu"})
        elif conn.execute(select(e.c.id).where(scope.owns(e), e.c.log_id == log_id,
                                               e.c.id == corrects)).first() is None:
            errors.append({"field": "corrects", "message": f"entrée {corrects} introuvable "
                                                           "dans cette main courante"})
    links = {key: _ids(data.get(key), key, errors) for key in LINK_KEYS}
    p, al = schema.population_alerts, schema.alerts
    for key, condition, table, what in (
            ("population_alerts", scope.owns(p), p, "alerte à la population"),
            ("alerts", scope.owns(al), al, "alerte"),
            ("assets", scope.asset_visible(), schema.assets, "équipement")):
        for missing in _missing(conn, condition, table, links[key]):
            errors.append({"field": key, "message": f"{what} {missing} introuvable dans ce "
                                                    "territoire"})
    if errors:
        raise Invalid("Entrée de main courante invalide.", errors=errors)
    entry_id = scope.db.allocate_ids(conn, "crisis_log_entries")
    conn.execute(e.insert().values(
        tenant_id=scope.tenant_id, id=entry_id, log_id=log_id, at=at, recorded_at=now,
        author_id=scope.principal.user_id, kind=kind, text=text.strip(), corrects_id=corrects,
        links=orjson.dumps({k: v for k, v in links.items() if v}).decode()))
    scope.audit(conn, "create", "crisis_log_entry", entry_id, {"log_id": log_id, "kind": kind})
    row = conn.execute(select(e).where(scope.owns(e), e.c.id == entry_id)).one()
    return entry_public(row)
