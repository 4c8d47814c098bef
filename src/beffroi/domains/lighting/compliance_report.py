"""The compliance report of a commune (or of every commune), from the database or from a
demo inventory, and its CSV rows; the rules themselves are in ``compliance``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import orjson
from sqlalchemy import Connection, and_, or_, select

from ...core.access import TenantScope
from ...core.errors import Invalid
from ...storage import schema
from .compliance import CABINET_KIND, LUMINAIRE_KIND, ZONE_KINDS, LightPoint, evaluate


def points_from_demo(assets: Iterable[Any], commune: str | None = None) -> list[LightPoint]:
    """Light points of a domain demo inventory (``DemoAsset`` values)."""
    assets = list(assets)
    cabinets = {a.ref: a.properties for a in assets if a.kind == CABINET_KIND}
    return [LightPoint(a.ref, a.name, commune, a.properties, cabinets.get(a.parent_ref or ""),
                       geometry=a.geometry)
            for a in assets if a.kind == LUMINAIRE_KIND]


def demo_report(assets: Iterable[Any], commune: str | None = None,
                limits: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The report of a demo inventory, zones included (no database needed)."""
    from .zones import zones_from_demo

    assets = list(assets)
    return evaluate(points_from_demo(assets, commune), limits,
                    zones=zones_from_demo(assets, commune))


def commune_report(scope: TenantScope, conn: Connection, commune: str | None = None,
                   limits: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The report of the luminaires the scope may see, in one commune or in all."""
    scope.require("read")
    c, a = schema.communes, schema.assets
    names = {r.insee: r.name for r in conn.execute(
        select(c.c.insee, c.c.name).where(scope.commune_visible()))}
    if commune is not None and commune not in names:
        raise Invalid(f"Commune « {commune} » inconnue dans ce territoire.",
                      errors=[{"field": "commune", "message": "code INSEE inconnu"}])
    query = select(a.c.id, a.c.ref, a.c.name, a.c.kind, a.c.commune_insee, a.c.parent_id,
                   a.c.properties, a.c.geometry).where(scope.asset_visible(),
                                         a.c.kind.in_((LUMINAIRE_KIND, CABINET_KIND)))
    if commune is not None:
        query = query.where(a.c.commune_insee == commune)
    rows = list(conn.execute(query.order_by(a.c.id)))
    cabinets = {r.id: orjson.loads(r.properties) for r in rows if r.kind == CABINET_KIND}
    missing_parents = {r.parent_id for r in rows if r.kind == LUMINAIRE_KIND
                       and r.parent_id is not None and r.parent_id not in cabinets}
    if missing_parents:  # a cabinet in another commune still programmes its luminaires
        for r in conn.execute(select(a.c.id, a.c.properties).where(
                scope.asset_visible(), a.c.kind == CABINET_KIND,
                a.c.id.in_(sorted(missing_parents)))):
            cabinets[r.id] = orjson.loads(r.properties)
    points = [LightPoint(r.ref, r.name, r.commune_insee, orjson.loads(r.properties),
                         cabinets.get(r.parent_id) if r.parent_id is not None else None, r.id,
                         orjson.loads(r.geometry) if r.geometry else None)
              for r in rows if r.kind == LUMINAIRE_KIND]
    zones, flux_points = _zones(scope, conn, commune, points)
    report = evaluate(points, limits, names, zones, flux_points)
    if commune is not None and not report["communes"]:
        report["communes"] = [{"insee": commune, "name": names[commune],
                               "counts": report["totals"]}]
    return report


def _zones(scope: TenantScope, conn: Connection, commune: str | None,
           points: list[LightPoint]) -> tuple[list[Any], list[LightPoint]]:
    """The visible zones of the commune (all when None), and the visible luminaires whose
    flux counts in them: every luminaire inside their bounding boxes, whatever its
    commune (a lit area may straddle a boundary)."""
    from .zones import make_zone

    a = schema.assets
    query = select(a.c.ref, a.c.kind, a.c.name, a.c.commune_insee, a.c.geometry,
                   a.c.properties, a.c.minx, a.c.miny, a.c.maxx, a.c.maxy).where(
        scope.asset_visible(), a.c.kind.in_(ZONE_KINDS), a.c.geometry.is_not(None))
    if commune is not None:
        query = query.where(or_(a.c.commune_insee == commune, a.c.commune_insee.is_(None)))
    rows = list(conn.execute(query.order_by(a.c.id)))
    zones = [make_zone(r.ref, r.kind, r.name, r.commune_insee, orjson.loads(r.geometry),
                       orjson.loads(r.properties or "{}")) for r in rows]
    lit = [r for r in rows if r.kind == "lighting.lit_area"]
    if commune is None or not lit:
        return zones, points
    boxes = [and_(a.c.minx <= r.maxx, a.c.maxx >= r.minx, a.c.miny <= r.maxy,
                  a.c.maxy >= r.miny) for r in lit]
    flux_points = [LightPoint(r.ref, r.name, r.commune_insee, orjson.loads(r.properties),
                              geometry=orjson.loads(r.geometry))
                   for r in conn.execute(select(a.c.ref, a.c.name, a.c.commune_insee,
                                                a.c.properties, a.c.geometry).where(
                       scope.asset_visible(), a.c.kind == LUMINAIRE_KIND, or_(*boxes)))]
    return zones, flux_points


CSV_HEADER = ("commune", "ref", "nom", "categorie", "constat", "regle", "article", "valeur",
              "limite", "unite", "champs", "precision")


def report_rows(report: Mapping[str, Any]) -> list[tuple[Any, ...]]:
    """One CSV row per finding (or one "conforme" row), French wording."""
    rows: list[tuple[Any, ...]] = []
    for e in report["luminaires"]:
        head = (e["commune"] or "", e["ref"], e["name"], e["category"] or "")
        for v in e["violations"]:
            rows.append((*head, "non-conformité", v["rule"], v["article"], v["value"],
                         v["limit"], v["unit"] or "", "", v.get("detail") or ""))
        for m in e["missing_data"]:
            rows.append((*head, "données manquantes", m["rule"], m["article"], "", "", "",
                         " ".join(m["fields"]), ""))
        if e["article5_missing"]:
            rows.append((*head, "données art. 5 manquantes", "article5", "art. 5", "", "", "",
                         " ".join(e["article5_missing"]),
                         "complété par les zones : " + ", ".join(e["from_zones"])
                         if e["from_zones"] else ""))
        if not (e["violations"] or e["missing_data"] or e["article5_missing"]):
            rows.append((*head, "conforme", "", "", "", "", "", "", ""))
    return rows
