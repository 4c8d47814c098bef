"""Tenants (an EPCI or another hosted organisation) and their communes."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import orjson
from sqlalchemy import Connection, delete, select, update

from ..storage import schema
from ..storage.database import Database
from . import rollups
from .access import Principal, TenantScope
from .audit import write_audit
from .clock import now_ms
from .errors import Conflict, Invalid, NotFound
from .geometry import bbox_of, validate_geometry
from .reference import epci
from .registry import Registry
from .settings import stored_settings, validate_settings, with_defaults
from .storable import Refused


def tenant_public(row: Any, registry: Registry | None = None) -> dict[str, Any]:
    return {
        "id": row.id,
        "siren": row.siren,
        "name": row.name,
        "kind": row.kind,
        "settings": with_defaults(orjson.loads(row.settings), registry),
    }


def list_tenants(conn: Connection, principal: Principal) -> list[dict[str, Any]]:
    t = schema.tenants
    query = select(t).order_by(t.c.name)
    if not principal.is_operator_admin:
        query = query.where(t.c.id.in_(list(principal.memberships)))
    return [tenant_public(r) for r in conn.execute(query)]


def create_tenant(db: Database, conn: Connection, principal: Principal, *,
                  name: str | None = None, siren: str | None = None, kind: str | None = None,
                  settings: dict[str, Any] | None = None,
                  registry: Registry | None = None) -> dict[str, Any]:
    """Create a tenant; with the SIREN of a known EPCI, also its member communes."""
    principal.require_operator()
    t = schema.tenants
    reference = None
    if siren is not None:
        if not (isinstance(siren, str) and len(siren) == 9 and siren.isdigit()):
            raise Invalid("SIREN invalide : 9 chiffres attendus.",
                          errors=[{"field": "siren", "message": "9 chiffres attendus"}])
        if conn.execute(select(t.c.id).where(t.c.siren == siren)).first():
            raise Conflict(f"Un territoire de SIREN {siren} existe déjà.")
        reference = epci(siren)
        if reference is None and not name:
            raise NotFound(
                f"SIREN {siren} absent du référentiel des EPCI ; indiquez un nom pour créer "
                "une organisation."
            )
    name = name or (reference or {}).get("name")
    if not name or not str(name).strip():
        raise Invalid("Nom du territoire obligatoire.",
                      errors=[{"field": "name", "message": "obligatoire"}])
    stored = stored_settings({}, validate_settings(dict(settings or {}), registry), registry)
    tenant_id = db.allocate_ids(conn, "tenants")
    conn.execute(t.insert().values(
        id=tenant_id, siren=siren, name=str(name).strip(),
        kind=kind or (reference or {}).get("type") or "organisation",
        settings=orjson.dumps(stored).decode(), created_at=now_ms(),
    ))
    if reference:
        conn.execute(schema.communes.insert(), [
            {"tenant_id": tenant_id, "insee": c["insee"], "name": c["name"],
             "population": c.get("population")}
            for c in reference["communes"]
        ])
    write_audit(conn, db, tenant_id, principal.user_id, "create", "tenant", tenant_id,
                {"siren": siren, "name": name})
    return tenant_public(conn.execute(select(t).where(t.c.id == tenant_id)).one(), registry)


def update_tenant(scope: TenantScope, conn: Connection, changes: dict[str, Any],
                  registry: Registry) -> dict[str, Any]:
    scope.require("admin")
    t = schema.tenants
    values: dict[str, Any] = {}
    if "name" in changes:
        if not isinstance(changes["name"], str) or not changes["name"].strip():
            raise Invalid("Nom du territoire invalide.",
                          errors=[{"field": "name", "message": "texte non vide attendu"}])
        values["name"] = changes["name"].strip()
    if "settings" in changes:
        if not isinstance(changes["settings"], dict):
            raise Invalid("« settings » doit être un objet.")
        new = validate_settings(changes["settings"], registry)
        previous = orjson.loads(scope.tenant.settings)
        values["settings"] = orjson.dumps(stored_settings(previous, new, registry)).decode()
        old_tz = with_defaults(previous)["timezone"]
        if new.get("timezone") and new["timezone"] != old_tz:
            # Local days moved: stored daily rollups are rebuilt in the new time zone.
            rollups.rebuild_daily(scope.db, conn, scope.tenant_id, ZoneInfo(new["timezone"]))
    unknown = set(changes) - {"name", "settings"}
    if unknown:
        raise Invalid("Champs non modifiables : " + ", ".join(sorted(unknown)))
    if values:
        conn.execute(update(t).where(t.c.id == scope.tenant_id).values(**values))
        scope.audit(conn, "update", "tenant", scope.tenant_id, changes)
    return tenant_public(conn.execute(select(t).where(t.c.id == scope.tenant_id)).one(), registry)


def delete_tenant(conn: Connection, principal: Principal, scope: TenantScope) -> None:
    """Remove a tenant and everything it owns (operator only)."""
    principal.require_operator()
    for table in schema.metadata.sorted_tables:
        if "tenant_id" in table.c and table.name != "tokens":
            conn.execute(delete(table).where(table.c.tenant_id == scope.tenant_id))
    conn.execute(delete(schema.tokens).where(schema.tokens.c.tenant_id == scope.tenant_id))
    conn.execute(delete(schema.tenants).where(schema.tenants.c.id == scope.tenant_id))
    write_audit(conn, scope.db, 0, principal.user_id, "delete", "tenant", scope.tenant_id,
                {"name": scope.tenant.name})


# -- communes -------------------------------------------------------------------

def commune_public(row: Any, with_boundary: bool = True) -> dict[str, Any]:
    out = {"insee": row.insee, "name": row.name, "population": row.population}
    if with_boundary:
        out["boundary"] = orjson.loads(row.boundary) if row.boundary else None
    return out


def list_communes(scope: TenantScope, conn: Connection) -> list[Any]:
    scope.require("read")
    c = schema.communes
    return list(conn.execute(select(c).where(scope.commune_visible()).order_by(c.c.name)))


def get_commune(scope: TenantScope, conn: Connection, insee: str) -> Any:
    c = schema.communes
    row = conn.execute(select(c).where(scope.commune_visible(), c.c.insee == insee)).first()
    if row is None:
        raise NotFound(f"Commune {insee} introuvable dans ce territoire.")
    return row


def _check_commune_fields(data: dict[str, Any], partial: bool) -> dict[str, Any]:
    errors, values = [], {}
    if "insee" in data or not partial:
        insee = data.get("insee")
        if not (isinstance(insee, str) and len(insee) == 5 and insee[:2].isalnum()):
            errors.append({"field": "insee", "message": "code INSEE à 5 caractères attendu"})
        else:
            values["insee"] = insee
    if "name" in data or not partial:
        if not isinstance(data.get("name"), str) or not data["name"].strip():
            errors.append({"field": "name", "message": "nom obligatoire"})
        else:
            values["name"] = data["name"].strip()
    if "population" in data:
        pop = data["population"]
        if pop is not None and (not isinstance(pop, int) or isinstance(pop, bool) or pop < 0):
            errors.append({"field": "population", "message": "entier positif attendu"})
        else:
            values["population"] = pop
    if data.get("boundary") is not None:
        try:
            geom = validate_geometry(data["boundary"], ("Polygon", "MultiPolygon"))
        except ValueError as exc:
            errors.append({"field": "boundary", "message": str(exc)})
        else:
            values["boundary"] = orjson.dumps(geom).decode()
            values.update(zip(("minx", "miny", "maxx", "maxy"), bbox_of(geom), strict=True))
    elif "boundary" in data:
        values.update(boundary=None, minx=None, miny=None, maxx=None, maxy=None)
    unknown = set(data) - {"insee", "name", "population", "boundary"}
    for key in sorted(unknown):
        errors.append({"field": key, "message": "champ inconnu"})
    if errors:
        raise Invalid("Commune invalide.", errors=errors)
    return values


def create_commune(scope: TenantScope, conn: Connection, data: dict[str, Any]) -> Any:
    scope.require("admin")
    values = _check_commune_fields(data, partial=False)
    c = schema.communes
    if conn.execute(select(c.c.insee).where(scope.owns(c), c.c.insee == values["insee"])).first():
        raise Conflict(f"La commune {values['insee']} existe déjà dans ce territoire.")
    conn.execute(c.insert().values(tenant_id=scope.tenant_id, **values))
    scope.audit(conn, "create", "commune", values["insee"], {"name": values["name"]})
    return get_commune(scope, conn, values["insee"])


def update_commune(scope: TenantScope, conn: Connection, insee: str, data: dict[str, Any]) -> Any:
    scope.require("admin")
    get_commune(scope, conn, insee)
    values = _check_commune_fields({k: v for k, v in data.items() if k != "insee"}, partial=True)
    c = schema.communes
    if values:
        conn.execute(update(c).where(scope.owns(c), c.c.insee == insee).values(**values))
        scope.audit(conn, "update", "commune", insee, {k: v for k, v in data.items()
                                                        if k != "boundary"})
    return get_commune(scope, conn, insee)


def delete_commune(scope: TenantScope, conn: Connection, insee: str) -> None:
    scope.require("admin")
    get_commune(scope, conn, insee)
    a = schema.assets
    if conn.execute(select(a.c.id).where(scope.owns(a), a.c.commune_insee == insee)).first():
        raise Conflict(f"La commune {insee} porte encore des équipements ; déplacez-les d'abord.")
    c = schema.communes
    conn.execute(delete(c).where(scope.owns(c), c.c.insee == insee))
    scope.audit(conn, "delete", "commune", insee)


def import_boundaries(scope: TenantScope, conn: Connection, collection: Any) -> dict[str, Any]:
    """Set commune boundaries from a GeoJSON FeatureCollection (INSEE in ``code``/``insee``)."""
    scope.require("admin")
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection":
        raise Invalid("Une FeatureCollection GeoJSON est attendue.")
    known = {r.insee for r in conn.execute(
        select(schema.communes.c.insee).where(scope.owns(schema.communes)))}
    features = collection.get("features") or []
    if not isinstance(features, list):
        raise Invalid("« features » doit être une liste d'entités GeoJSON.")
    updated, rejected = [], []
    for index, feature in enumerate(features):
        if isinstance(feature, Refused):  # a key named twice (``textfiles.load_json``)
            rejected.append({"index": index, "reason": feature.reason})
            continue
        props = feature.get("properties") if isinstance(feature, dict) else None
        if not isinstance(props, dict):
            rejected.append({"index": index, "reason": "entité GeoJSON attendue : objet "
                                                       "« Feature » avec un objet « properties »"})
            continue
        insee = str(props.get("insee") or props.get("code") or props.get("INSEE_COM") or "")
        if not insee:
            rejected.append({"index": index, "reason": "code INSEE absent (propriété « code », "
                                                       "« insee » ou « INSEE_COM »)"})
            continue
        if insee not in known:
            rejected.append({"index": index, "reason": f"commune « {insee} » absente du territoire"})
            continue
        if feature.get("geometry") is None:  # would erase the current boundary
            rejected.append({"index": index, "reason": f"géométrie absente pour la commune {insee}"})
            continue
        try:
            update_commune(scope, conn, insee, {"boundary": feature.get("geometry")})
        except Invalid as exc:
            rejected.append({"index": index, "reason": exc.errors[0]["message"]
                             if exc.errors else exc.detail})
            continue
        updated.append(insee)
    return {"updated": updated, "rejected": rejected}
