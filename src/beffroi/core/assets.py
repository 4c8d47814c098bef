"""Assets: the territorial digital twin (cabinets, luminaires, sectors, gauges, schools...)."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

import orjson
from sqlalchemy import Connection, and_, delete, exists, func, or_, select, update

from ..storage import schema
from ..storage.textsearch import fold, folded
from .access import TenantScope
from .clock import now_ms
from .derived import rederive
from .errors import Conflict, Invalid
from .geometry import bbox_of, validate_geometry
from .properties import validate_properties
from .registry import Registry
from .storable import as_id

ASSET_FIELDS = {"ref", "kind", "name", "commune", "parent_id", "parent_ref", "geometry",
                "properties", "external_ids"}
MAX_PAGE = 10_000


@dataclass(frozen=True)
class AssetFilter:
    kind: str | None = None
    commune: str | None = None
    bbox: tuple[float, float, float, float] | None = None
    q: str | None = None  # part of the name or the ref, case and accents ignored
    metric: str | None = None  # only the assets that have a stream of this metric
    parent_id: int | None = None
    cursor: str | None = None
    limit: int = 1000


def check_asset(scope: TenantScope, conn: Connection, registry: Registry, data: Any, *,
                existing: Any = None, communes: set[str] | None = None,
                refs: dict[str, int] | None = None,
                from_text: bool = False) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """Validate an asset document; returns (column values, errors).

    ``existing`` is the current row for a partial update. ``communes`` and
    ``refs`` let bulk imports pass pre-loaded look-ups instead of querying per row.
    """
    if not isinstance(data, dict):
        return {}, [{"field": "", "message": "objet JSON attendu"}]
    errors: list[dict[str, str]] = []
    values: dict[str, Any] = {}
    partial = existing is not None
    for key in sorted(set(data) - ASSET_FIELDS):
        errors.append({"field": key, "message": "champ inconnu"})

    kind_key = data.get("kind", existing.kind if partial else None)
    kind = registry.asset_kinds.get(kind_key) if isinstance(kind_key, str) else None
    if kind is None:
        errors.append({"field": "kind", "message": "type d'équipement obligatoire"
                       if kind_key in (None, "") else f"type d'équipement inconnu « {kind_key} »"})
    elif not partial or "kind" in data:
        values["kind"] = kind.key

    if not partial or "ref" in data:
        ref = data.get("ref")
        if isinstance(ref, int) and not isinstance(ref, bool):
            ref = str(ref)
        if not isinstance(ref, str) or not ref.strip() or len(ref) > 200:
            errors.append({"field": "ref", "message": "identifiant obligatoire (texte, 200 car. max)"})
        else:
            values["ref"] = ref.strip()
    if not partial or "name" in data:
        name = data.get("name") or values.get("ref")
        if not isinstance(name, str) or not name.strip():
            errors.append({"field": "name", "message": "nom obligatoire"})
        else:
            values["name"] = name.strip()[:300]

    if not partial or "commune" in data:
        insee = data.get("commune")
        if insee is not None:
            insee = str(insee)
            known = communes if communes is not None else {
                r.insee for r in conn.execute(select(schema.communes.c.insee)
                                              .where(scope.owns(schema.communes)))}
            if insee not in known:
                errors.append({"field": "commune", "message": f"commune « {insee} » absente du territoire"})
            elif scope.communes is not None and insee not in scope.communes:
                errors.append({"field": "commune",
                               "message": f"votre accès ne couvre pas la commune {insee}"})
        elif scope.communes is not None:
            errors.append({"field": "commune", "message": "commune obligatoire pour votre accès"})
        values["commune_insee"] = insee

    if "parent_ref" in data and data["parent_ref"] is not None:
        parent_ref = str(data["parent_ref"]).strip()
        parent_id = (refs or {}).get(parent_ref)
        if parent_id is None:
            a = schema.assets
            row = conn.execute(select(a.c.id).where(scope.owns(a), a.c.ref == parent_ref)).first()
            parent_id = row.id if row else None
        if parent_id is None:
            errors.append({"field": "parent_ref", "message": f"parent « {parent_ref} » introuvable"})
        values["parent_id"] = parent_id
    elif "parent_id" in data:
        parent_id = data["parent_id"]
        if parent_id is not None:
            a = schema.assets
            if not isinstance(parent_id, int) or not conn.execute(
                    select(a.c.id).where(scope.owns(a), a.c.id == parent_id)).first():
                errors.append({"field": "parent_id", "message": f"parent {parent_id} introuvable"})
        values["parent_id"] = parent_id
    if (existing is not None and values.get("parent_id") is not None
            and not any(e["field"].startswith("parent") for e in errors)
            and _is_descendant(scope, conn, values["parent_id"], existing.id)):
        field = "parent_ref" if "parent_ref" in data else "parent_id"
        errors.append({"field": field, "message": "un équipement ne peut être rattaché à "
                                                  "lui-même ni à l'un de ses descendants"})

    if kind is not None and (not partial or "geometry" in data or "kind" in data):
        geom = data.get("geometry") if "geometry" in data or not partial else (
            orjson.loads(existing.geometry) if existing.geometry else None)
        if geom is None and kind.geometry_required:
            errors.append({"field": "geometry", "message": "géométrie obligatoire pour « "
                           f"{kind.label} » ({' ou '.join(kind.geometry_types)})"})
        elif geom is None:
            values.update(geometry=None, minx=None, miny=None, maxx=None, maxy=None)
        else:
            try:
                geom = validate_geometry(geom, kind.geometry_types)
            except ValueError as exc:
                errors.append({"field": "geometry", "message": str(exc)})
            else:
                values["geometry"] = orjson.dumps(geom).decode()
                values.update(zip(("minx", "miny", "maxx", "maxy"), bbox_of(geom), strict=True))

    if kind is not None and (not partial or "properties" in data or "kind" in data):
        props = data.get("properties") if "properties" in data else (
            orjson.loads(existing.properties) if partial else {})
        if partial and isinstance(props, dict) and "properties" in data:
            props = {**orjson.loads(existing.properties), **props}
        clean, prop_errors = validate_properties(kind, props, from_text=from_text)
        errors.extend(prop_errors)
        values["properties"] = orjson.dumps(clean).decode()

    if "external_ids" in data or not partial:
        ext = data.get("external_ids") or {}
        if not isinstance(ext, dict) or not all(isinstance(v, str | int) for v in ext.values()):
            errors.append({"field": "external_ids", "message": "objet {système: identifiant} attendu"})
        else:
            values["external_ids"] = orjson.dumps({str(k): str(v) for k, v in ext.items()}).decode()
    return values, errors



def _is_descendant(scope: TenantScope, conn: Connection, candidate: int, ancestor: int) -> bool:
    """True if ``candidate`` is ``ancestor`` or lies below it in the parent tree."""
    a = schema.assets
    seen: set[int] = set()
    node: int | None = candidate
    while node is not None and node not in seen:
        if node == ancestor:
            return True
        seen.add(node)
        node = conn.execute(select(a.c.parent_id).where(scope.owns(a), a.c.id == node)).scalar()
    return False

def create_asset(scope: TenantScope, conn: Connection, registry: Registry, data: Any) -> Any:
    scope.require("write")
    values, errors = check_asset(scope, conn, registry, data)
    if errors:
        raise Invalid("Équipement invalide.", errors=errors)
    a = schema.assets
    if conn.execute(select(a.c.id).where(scope.owns(a), a.c.ref == values["ref"])).first():
        raise Conflict(f"Un équipement d'identifiant « {values['ref']} » existe déjà.")
    asset_id = scope.db.allocate_ids(conn, "assets")
    now = now_ms()
    conn.execute(a.insert().values(tenant_id=scope.tenant_id, id=asset_id, created_at=now,
                                   updated_at=now, **values))
    scope.audit(conn, "create", "asset", asset_id, {"ref": values["ref"], "kind": values["kind"]})
    return scope.asset(conn, asset_id)


def update_asset(scope: TenantScope, conn: Connection, registry: Registry, asset_id: int,
                 data: Any) -> Any:
    scope.require("write")
    existing = scope.asset(conn, asset_id)
    values, errors = check_asset(scope, conn, registry, data, existing=existing)
    if errors:
        raise Invalid("Équipement invalide.", errors=errors)
    if not values:  # an empty change (``{}``) changes nothing
        return existing
    a = schema.assets
    if "ref" in values and values["ref"] != existing.ref and conn.execute(
            select(a.c.id).where(scope.owns(a), a.c.ref == values["ref"])).first():
        raise Conflict(f"Un équipement d'identifiant « {values['ref']} » existe déjà.")
    conn.execute(update(a).where(scope.owns(a), a.c.id == asset_id)
                 .values(updated_at=now_ms(), **values))
    if "properties" in values and values["properties"] != existing.properties:
        rederive(scope, conn, registry, [asset_id])  # the derived values read them
    scope.audit(conn, "update", "asset", asset_id, {k: v for k, v in data.items() if k != "geometry"})
    return scope.asset(conn, asset_id)


def delete_asset(scope: TenantScope, conn: Connection, asset_id: int) -> None:
    """Delete an asset with its streams and their data; refused while it has children."""
    scope.require("write")
    existing = scope.asset(conn, asset_id)
    a, s = schema.assets, schema.streams
    if conn.execute(select(a.c.id).where(scope.owns(a), a.c.parent_id == asset_id)).first():
        raise Conflict("Cet équipement a des équipements rattachés ; supprimez-les ou déplacez-les d'abord.")
    stream_ids = [r.id for r in conn.execute(select(s.c.id).where(scope.owns(s), s.c.asset_id == asset_id))]
    if stream_ids:
        for table in (schema.observations, schema.rollups_hourly, schema.rollups_daily):
            conn.execute(delete(table).where(scope.owns(table), table.c.stream_id.in_(stream_ids)))
        conn.execute(delete(s).where(scope.owns(s), s.c.id.in_(stream_ids)))
    d = schema.devices
    conn.execute(update(d).where(scope.owns(d), d.c.asset_id == asset_id).values(asset_id=None))
    conn.execute(delete(a).where(scope.owns(a), a.c.id == asset_id))
    scope.audit(conn, "delete", "asset", asset_id, {"ref": existing.ref, "streams": len(stream_ids)})


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"a{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        last_id = as_id(text[1:]) if text.startswith("a") else None
        if last_id is None:
            raise ValueError
        return last_id
    except (ValueError, UnicodeDecodeError):
        raise Invalid("Curseur de pagination invalide.",
                      errors=[{"field": "cursor", "message": "valeur non reconnue"}]) from None


def _matching(scope: TenantScope, flt: AssetFilter) -> list[Any]:
    """The filter's clauses, but the page's (cursor and limit)."""
    a, s = schema.assets, schema.streams
    clauses = [scope.asset_visible()]
    if flt.kind:
        clauses.append(a.c.kind == flt.kind)
    if flt.commune:
        clauses.append(a.c.commune_insee == flt.commune)
    if flt.parent_id is not None:
        clauses.append(a.c.parent_id == flt.parent_id)
    if flt.bbox:
        minx, miny, maxx, maxy = flt.bbox
        clauses += [a.c.maxx >= minx, a.c.minx <= maxx, a.c.maxy >= miny, a.c.miny <= maxy]
    term = fold(flt.q.strip()) if flt.q else ""
    if term:
        clauses.append(or_(folded(a.c.name).contains(term, autoescape=True),
                           folded(a.c.ref).contains(term, autoescape=True)))
    if flt.metric:
        clauses.append(exists().where(s.c.tenant_id == a.c.tenant_id, s.c.asset_id == a.c.id,
                                      s.c.metric == flt.metric))
    return clauses


def list_assets(scope: TenantScope, conn: Connection, flt: AssetFilter) -> tuple[list[Any], str | None]:
    scope.require("read")
    if not 1 <= flt.limit <= MAX_PAGE:
        raise Invalid(f"« limit » doit être compris entre 1 et {MAX_PAGE}.",
                      errors=[{"field": "limit", "message": f"entre 1 et {MAX_PAGE}"}])
    a = schema.assets
    clauses = _matching(scope, flt)
    if flt.cursor:
        clauses.append(a.c.id > decode_cursor(flt.cursor))
    rows = conn.execute(select(a).where(and_(*clauses)).order_by(a.c.id).limit(flt.limit + 1)).all()
    next_cursor = encode_cursor(rows[flt.limit - 1].id) if len(rows) > flt.limit else None
    return rows[: flt.limit], next_cursor


def count_matching(scope: TenantScope, conn: Connection, flt: AssetFilter) -> int:
    """How many assets the filter matches in all (every page, whatever the cursor)."""
    scope.require("read")
    return conn.execute(select(func.count()).select_from(schema.assets)
                        .where(and_(*_matching(scope, flt)))).scalar_one()


def count_assets(scope: TenantScope, conn: Connection) -> dict[str, int]:
    a = schema.assets
    rows = conn.execute(select(a.c.kind, func.count()).where(scope.asset_visible()).group_by(a.c.kind))
    return {kind: n for kind, n in rows}


def asset_public(row: Any) -> dict[str, Any]:
    return {
        "id": row.id, "ref": row.ref, "kind": row.kind, "name": row.name,
        "commune": row.commune_insee, "parent_id": row.parent_id,
        "geometry": orjson.loads(row.geometry) if row.geometry else None,
        "properties": orjson.loads(row.properties),
        "external_ids": orjson.loads(row.external_ids),
    }


_FEATURE_COLUMNS = ("id", "ref", "kind", "name", "commune_insee", "parent_id", "geometry",
                    "properties", "external_ids")


def feature_collection(rows: list[Any], next_url: str | None = None,
                       parent_refs: dict[int, str] | None = None,
                       number_matched: int | None = None) -> bytes:
    """GeoJSON FeatureCollection, embedding stored JSON text without re-parsing it.

    With ``parent_refs`` (asset id -> ref) each feature also names its parent by
    ref, so that an export can be imported again into another tenant. With
    ``number_matched``, the count of all the features the request matches (OGC API
    Features' ``numberMatched``), beyond this page's.
    """
    null = orjson.Fragment(b"null")
    # Rows are read by position: attribute access on a SQLAlchemy row costs ~1 µs.
    pick = itemgetter(*(rows[0]._fields.index(c) for c in _FEATURE_COLUMNS)) if rows else None
    features = [
        {
            "type": "Feature",
            "id": asset_id,
            "geometry": orjson.Fragment(geometry) if geometry else null,
            "properties": {
                "ref": ref, "kind": kind, "name": name, "commune": commune,
                "parent_id": parent_id,
                "properties": orjson.Fragment(properties),
                "external_ids": orjson.Fragment(external_ids),
            },
        }
        for asset_id, ref, kind, name, commune, parent_id, geometry, properties, external_ids
        in map(pick, rows)
    ]
    doc: dict[str, Any] = {"type": "FeatureCollection", "numberReturned": len(features),
                           "features": features}
    if number_matched is not None:
        doc["numberMatched"] = number_matched
    if parent_refs is not None:
        for feature in features:
            parent = feature["properties"]["parent_id"]
            feature["properties"]["parent_ref"] = parent_refs.get(parent) if parent else None
    if next_url:
        doc["links"] = [{"rel": "next", "href": next_url, "type": "application/geo+json"}]
    return orjson.dumps(doc)
