"""Emergency lighting: force cabinets on for a few hours (rescue, accident, fire brigade
working at night), from the phone, and let it end by itself.

One request covers some cabinets, every cabinet of a commune, or the cabinets feeding a
zone (a lit area or a trame-noire corridor: the cabinets of the luminaires inside it). For each cabinet it asks,
through the core command pipeline, for ``lighting.force_on`` (the controller itself returns
to its programme after the given hours) and schedules ``lighting.resume_programme`` at the
end, so that the override ends on time even if the controller missed its own timer. Both
are commands, so both are in the audit log with who asked, and their progress shows on the
cabinet's page.

A cabinet without a remote controller cannot be forced on: for a commune or a zone it is
skipped and listed in ``skipped`` with the reason (the rule that refuses the command,
``core.commands.receiver``); when no targeted cabinet has a controller, the request is
refused (422) and says so.
"""

from __future__ import annotations

from typing import Any

import orjson
from shapely.geometry import shape
from sqlalchemy import Connection, and_, select

from ...core import commands
from ...core.access import TenantScope
from ...core.clock import format_instant, now_ms
from ...core.errors import Invalid
from ...core.registry import Registry
from ...storage import schema
from .commands import FORCE_ON, MAX_FORCE_HOURS

FIELDS = {"cabinets", "commune", "zone", "hours", "reason"}
ZONE_KINDS = ("lighting.lit_area", "lighting.dark_corridor")
HOUR_MS = 3_600_000


def _zone_cabinets(scope: TenantScope, conn: Connection, zone_id: Any,
                   errors: list[dict[str, str]]) -> list[Any]:
    """The cabinets feeding at least one luminaire inside a zone's polygon."""
    a = schema.assets
    zone = None
    if isinstance(zone_id, int) and not isinstance(zone_id, bool):
        zone = conn.execute(select(a).where(scope.asset_visible(), a.c.id == zone_id,
                                            a.c.kind.in_(ZONE_KINDS))).first()
    if zone is None:
        errors.append({"field": "zone", "message": "identifiant d'une surface éclairée ou "
                                                   "d'un corridor de trame noire attendu"})
        return []
    polygon = shape(orjson.loads(zone.geometry))
    lights = conn.execute(select(a.c.parent_id, a.c.geometry).where(
        scope.asset_visible(), a.c.kind == "lighting.luminaire", a.c.parent_id.is_not(None)))
    fed = {parent for parent, geometry in lights
           if polygon.covers(shape(orjson.loads(geometry)))}
    rows = list(conn.execute(select(a).where(scope.asset_visible(),
                                             a.c.kind == "lighting.cabinet",
                                             a.c.id.in_(fed)).order_by(a.c.id))) if fed else []
    if not rows:
        errors.append({"field": "zone", "message": f"aucun point lumineux relié à une armoire "
                                                   f"dans la zone « {zone.name} »"})
    return rows


def _cabinets(scope: TenantScope, conn: Connection, data: dict[str, Any],
              errors: list[dict[str, str]]) -> list[Any]:
    a = schema.assets
    given = [k for k in ("cabinets", "commune", "zone") if data.get(k) is not None]
    if len(given) != 1:
        errors.append({"field": "cabinets", "message": "indiquez une seule cible : « cabinets » "
                                                       "(liste d'armoires), « commune » ou "
                                                       "« zone »"})
        return []
    if given == ["zone"]:
        return _zone_cabinets(scope, conn, data["zone"], errors)
    query = select(a).where(scope.asset_visible(), a.c.kind == "lighting.cabinet")
    if data.get("commune") is not None:
        if not isinstance(data["commune"], str):
            errors.append({"field": "commune", "message": "code INSEE attendu"})
            return []
        rows = list(conn.execute(query.where(a.c.commune_insee == data["commune"])))
        if not rows:
            errors.append({"field": "commune", "message": "aucune armoire d'éclairage dans "
                                                          f"la commune « {data['commune']} »"})
        return rows
    ids = data["cabinets"]
    if not isinstance(ids, list) or not ids or not all(
            isinstance(i, int) and not isinstance(i, bool) for i in ids):
        errors.append({"field": "cabinets", "message": "liste non vide d'identifiants"})
        return []
    rows = list(conn.execute(query.where(a.c.id.in_(ids))))
    missing = sorted(set(ids) - {r.id for r in rows})
    if missing:
        errors.append({"field": "cabinets", "message": "armoires introuvables dans ce "
                                                       f"territoire : {missing}"})
    return rows


def force_on(scope: TenantScope, conn: Connection, registry: Registry, data: Any) -> dict:
    """Ask for emergency lighting; returns the end time and the commands created."""
    scope.require("write")
    if not isinstance(data, dict):
        raise Invalid("Objet JSON attendu.")
    errors = [{"field": k, "message": "champ inconnu"} for k in sorted(set(data) - FIELDS)]
    hours = data.get("hours")
    if not isinstance(hours, int) or isinstance(hours, bool) or not 1 <= hours <= MAX_FORCE_HOURS:
        errors.append({"field": "hours", "message": f"durée en heures, de 1 à {MAX_FORCE_HOURS}"})
    reason = data.get("reason")
    if reason is not None and (not isinstance(reason, str) or len(reason) > 300):
        errors.append({"field": "reason", "message": "texte de 300 caractères au plus"})
    cabinets = _cabinets(scope, conn, data, errors)
    skipped = []
    reachable = []
    for cabinet in cabinets:
        _, refusal = commands.receiver(conn, registry, cabinet, FORCE_ON)
        if refusal is None:
            reachable.append(cabinet)
        else:
            skipped.append({"asset_id": cabinet.id, "ref": cabinet.ref,
                            "reason": refusal["message"]})
    if cabinets and not reachable:
        target = next(k for k in ("cabinets", "commune", "zone") if data.get(k) is not None)
        errors.append({"field": target, "message": (
            "aucune armoire visée n'a de contrôleur télégéré : l'éclairage d'urgence ne "
            "peut pas leur être transmis" if len(cabinets) > 1 else
            skipped[0]["reason"][0].lower() + skipped[0]["reason"][1:].rstrip("."))})
    if errors:
        raise Invalid("Demande d'éclairage d'urgence invalide.", errors=errors)
    until = now_ms() + hours * HOUR_MS
    created = []
    for cabinet in reachable:
        # Both commands validate the cabinet (a controller must be attached).
        on = commands.create_command(scope, conn, registry, {
            "asset_id": cabinet.id, "action": "lighting.force_on", "params": {"hours": hours}})
        back = commands.create_command(scope, conn, registry, {
            "asset_id": cabinet.id, "action": "lighting.resume_programme", "params": {},
            "not_before": format_instant(until)})
        created.append({"asset_id": cabinet.id, "ref": cabinet.ref, "force_on": on.id,
                        "resume": back.id})
    scope.audit(conn, "emergency_on", "lighting", None,
                {"hours": hours, "reason": reason, "cabinets": [c["ref"] for c in created],
                 "skipped": [c["ref"] for c in skipped]})
    message = f"Éclairage d'urgence demandé pour {len(created)} armoire(s)"
    if skipped:
        message += (f" ; {len(skipped)} armoire(s) sans contrôleur télégéré ignorée(s) : "
                    + ", ".join(c["ref"] for c in skipped))
    return {"until": format_instant(until), "hours": hours, "cabinets": created,
            "skipped": skipped, "message": message + "."}


def override_status(scope: TenantScope, conn: Connection, asset_id: int,
                    now: int | None = None) -> dict[str, Any]:
    """Whether a cabinet is under emergency lighting now, and until when."""
    scope.require("read")
    scope.asset(conn, asset_id)
    now = now_ms() if now is None else now
    c = schema.commands
    last = conn.execute(select(c).where(and_(
        c.c.tenant_id == scope.tenant_id, c.c.asset_id == asset_id,
        c.c.action == "lighting.force_on", c.c.status.in_(("requested", "sent",
                                                             "acknowledged"))))
        .order_by(c.c.id.desc()).limit(1)).first()
    if last is None:
        return {"active": False, "until": None, "command_id": None}
    hours = orjson.loads(last.params).get("hours", 0)
    until = last.created_at + hours * HOUR_MS
    return {"active": last.status == "acknowledged" and now < until,
            "pending": last.status in ("requested", "sent") and now < until,
            "until": format_instant(until), "command_id": last.id}
