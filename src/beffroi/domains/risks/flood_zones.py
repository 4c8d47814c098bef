"""Flood zones (PPRi, AZI polygons): import, and what lies inside a zone or every zone
flooded at a given level of its reference station.

- ``import_flood_zones(scope, conn, registry, raw, content_type, filename, dry_run=False)``:
  a GeoJSON FeatureCollection (or CSV with a ``geometry`` column) of ``Polygon`` /
  ``MultiPolygon`` features, French property names accepted (``alea``, ``station``,
  ``cote_inondation_m``…). Each feature is checked alone (core's asset checks, plus: its
  ``reference_station`` must be a gauge of the territory, by Hub'Eau code or ref; core
  refuses a zone without geometry, ``AssetKind.geometry_required``); the
  valid ones are written, the others reported with their row and a French message. CLI
  ``beffroi risks import-flood-zones --tenant T FILE``; route
  ``POST /api/v1/tenants/{t}/risks/flood-zones/import`` (body: the file).
- ``assets_in_zone(scope, conn, zone_id) -> list[dict]``: the visible assets of any kind
  (flood zones excepted) inside the zone: a point inside or on its edge, a line or polygon
  (a building) that meets it. Route ``GET …/risks/flood-zones/{id}/assets``.
- ``zones_at_level(scope, conn, station_id, level_m) -> list[dict]``: the zones whose
  reference station is that gauge and whose ``flood_level_m`` is at or below ``level_m``
  (lowest first). Route ``GET …/risks/stations/{id}/flooded-zones?level_m=2.5``, each zone
  with its assets inside.
"""

from __future__ import annotations

import math
from typing import Any

import orjson
import shapely
from shapely.geometry import shape
from sqlalchemy import Connection, select

from ...core import importing
from ...core.access import TenantScope
from ...core.errors import Invalid, NotFound
from ...core.registry import Registry
from ...storage import schema
from .stations import GAUGE_KIND, gauge

ZONE_KIND = "risks.flood_zone"
ALIASES = {"alea": "hazard", "aléa": "hazard", "niveau_alea": "hazard",
           "station": "reference_station", "station_reference": "reference_station",
           "code_station": "reference_station", "cote_inondation_m": "flood_level_m",
           "hauteur_inondation_m": "flood_level_m", "hauteur_station_m": "flood_level_m",
           "cours_eau": "river", "cours_d_eau": "river", "type": "source",
           "nom": "name", "identifiant": "ref", "id_zone": "ref"}
HAZARDS = {"faible": "faible", "moyen": "moyen", "modéré": "moyen", "modere": "moyen",
           "fort": "fort", "tres_fort": "tres_fort", "très fort": "tres_fort",
           "tres fort": "tres_fort"}


def _rename(name: str) -> str:
    key = name.strip()
    return ALIASES.get(key.lower(), key)


def _station_codes(scope: TenantScope, conn: Connection) -> dict[str, int]:
    """Gauge id by Hub'Eau code and by ref."""
    a = schema.assets
    out: dict[str, int] = {}
    for row in conn.execute(select(a.c.id, a.c.ref, a.c.properties).where(
            scope.owns(a), a.c.kind == GAUGE_KIND)):
        out[row.ref] = row.id
        code = orjson.loads(row.properties or "{}").get("station_code")
        if code:
            out[str(code)] = row.id
    return out


def import_flood_zones(scope: TenantScope, conn: Connection, registry: Registry, raw: bytes,
                       content_type: str = "", filename: str = "", *,
                       dry_run: bool = False) -> dict[str, Any]:
    scope.require("write")
    inventory = importing.parse_inventory(raw, content_type, filename, default_kind=ZONE_KIND,
                                          rename=_rename)
    stations = _station_codes(scope, conn)
    extra: list[dict[str, Any]] = []
    rows: list[Any] = []
    for index, row in enumerate(inventory.rows, start=1):
        if not isinstance(row, dict):
            rows.append(row)
            continue
        props = row.get("properties") or {}
        problems = []
        if row.get("kind") != ZONE_KIND:
            problems.append(("kind", f"« {row.get('kind')} » n'est pas une zone inondable "
                                     f"({ZONE_KIND})"))
        hazard = props.get("hazard")
        if isinstance(hazard, str) and hazard.strip().lower() in HAZARDS:
            props["hazard"] = HAZARDS[hazard.strip().lower()]
        station = props.get("reference_station")
        if station not in (None, "") and str(station).strip() not in stations:
            problems.append(("properties.reference_station",
                             f"station « {str(station)[:40]} » inconnue : aucune station "
                             "hydrométrique du territoire n'a ce code ni cet identifiant"))
        if props.get("flood_level_m") not in (None, "") and station in (None, ""):
            problems.append(("properties.reference_station", "station de référence obligatoire "
                                                             "avec une hauteur d'inondation"))
        for field, message in problems:
            extra.append({"row": index, "ref": row.get("ref"), "field": field,
                          "message": message})
        # A row refused here is handed to core as a problem, so that it is not written.
        rows.append(importing.RowProblem(problems[0][1], problems[0][0]) if problems else row)
    inventory.rows = rows
    report = importing.import_assets(scope, conn, registry, inventory, partial=True,
                                     dry_run=dry_run)
    # The rows refused here appear once, with every problem found, besides core's.
    refused_here = {e["row"] for e in extra}
    report.errors = sorted([e for e in report.errors if e["row"] not in refused_here] + extra,
                           key=lambda e: e["row"])
    return report.as_dict()


# -- what is inside ----------------------------------------------------------------------------
def _zone(scope: TenantScope, conn: Connection, zone_id: int) -> Any:
    scope.require("read")
    row = scope.asset(conn, zone_id)
    if row.kind != ZONE_KIND:
        raise NotFound(f"Zone inondable {zone_id} introuvable dans ce territoire.")
    return row


def _inside(scope: TenantScope, conn: Connection, zone: Any) -> list[dict[str, Any]]:
    if not zone.geometry:
        return []
    area = shape(orjson.loads(zone.geometry))
    shapely.prepare(area)
    a = schema.assets
    candidates = conn.execute(select(a.c.id, a.c.ref, a.c.kind, a.c.name, a.c.commune_insee,
                                     a.c.geometry).where(
        scope.asset_visible(a), a.c.kind != ZONE_KIND, a.c.geometry.is_not(None),
        a.c.maxx >= zone.minx, a.c.minx <= zone.maxx, a.c.maxy >= zone.miny,
        a.c.miny <= zone.maxy).order_by(a.c.id))
    out = []
    for row in candidates:
        geom = shape(orjson.loads(row.geometry))
        hit = area.covers(geom) if geom.geom_type == "Point" else area.intersects(geom)
        if hit:
            out.append({"id": row.id, "ref": row.ref, "kind": row.kind, "name": row.name,
                        "commune": row.commune_insee})
    return out


def assets_in_zone(scope: TenantScope, conn: Connection, zone_id: int) -> list[dict[str, Any]]:
    """The visible assets (any kind but flood zones) inside flood zone ``zone_id``."""
    return _inside(scope, conn, _zone(scope, conn, zone_id))


def zone_public(row: Any) -> dict[str, Any]:
    props = orjson.loads(row.properties or "{}")
    return {"id": row.id, "ref": row.ref, "name": row.name, "commune": row.commune_insee,
            "hazard": props.get("hazard"), "source": props.get("source"),
            "river": props.get("river"), "reference_station": props.get("reference_station"),
            "flood_level_m": props.get("flood_level_m")}


def parse_level(text: Any) -> float:
    try:
        level = float(str(text).replace(",", ".").strip())
    except ValueError:
        level = math.nan
    if not math.isfinite(level) or not -5 <= level <= 30:
        raise Invalid(f"Hauteur « {str(text)[:20]} » invalide.",
                      errors=[{"field": "level_m", "message": "hauteur en mètres, de -5 à 30"}])
    return level


def zones_at_level(scope: TenantScope, conn: Connection, station_id: int,
                   level_m: float) -> list[dict[str, Any]]:
    """The flood zones of gauge ``station_id`` flooded when it reads ``level_m``."""
    station = gauge(scope, conn, station_id)
    names = {station.ref}
    code = orjson.loads(station.properties or "{}").get("station_code")
    if code:
        names.add(str(code))
    a = schema.assets
    zones = []
    for row in conn.execute(select(a).where(scope.asset_visible(a), a.c.kind == ZONE_KIND)):
        zone = zone_public(row)
        level = zone["flood_level_m"]
        if str(zone["reference_station"] or "").strip() in names \
                and isinstance(level, int | float) and level <= level_m:
            zones.append((level, row.id, zone))
    return [z for _, _, z in sorted(zones, key=lambda x: (x[0], x[1]))]


def flooded_at_level(scope: TenantScope, conn: Connection, station_id: int,
                     level_m: float) -> dict[str, Any]:
    """The zones flooded at ``level_m`` with the assets inside each (route's answer)."""
    zones = zones_at_level(scope, conn, station_id, level_m)
    out = []
    for zone in zones:
        zone["assets"] = _inside(scope, conn, scope.asset(conn, zone["id"]))
        out.append(zone)
    return {"station_id": station_id, "level_m": level_m, "zones": out,
            "asset_count": len({x["id"] for z in out for x in z["assets"]})}
