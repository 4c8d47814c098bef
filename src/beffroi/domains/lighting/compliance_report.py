"""The compliance report of a commune (or of every commune), from the database or from a
demo inventory, and its CSV rows; the rules themselves are in ``compliance``."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection, and_, or_, select

from ...core.access import TenantScope
from ...core.errors import Invalid
from ...storage import schema
from .compliance import CABINET_KIND, LUMINAIRE_KIND, ZONE_KINDS, LightPoint, evaluate
from .memo import ContentMemo, digest


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


@dataclass(frozen=True)
class ReportInputs:
    """What the report of a scope and commune reads from the database, as plain tuples."""

    names: dict[str, str]  # visible communes: INSEE -> name
    # (id, ref, name, kind, commune, parent_id, properties, geometry) of the luminaires and
    # cabinets, by id
    rows: list[tuple[Any, ...]]
    parents: list[tuple[Any, ...]]  # (id, properties): cabinets of other communes
    # (ref, kind, name, commune, geometry, properties, minx, miny, maxx, maxy), by id
    zones: list[tuple[Any, ...]]
    # (ref, name, commune, properties, geometry) of the luminaires whose flux counts in the
    # lit areas; None: the report's luminaires
    flux: list[tuple[Any, ...]] | None

    def digest(self) -> bytes:
        """A fingerprint of everything read: equal digests, equal reports."""
        return digest(sorted(self.names.items()), self.rows, self.parents, self.zones,
                      self.flux)


def read_inputs(scope: TenantScope, conn: Connection, commune: str | None = None
                ) -> ReportInputs:
    """The rows the report of the luminaires the scope may see (in ``commune``) needs."""
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
    rows = [tuple(r) for r in conn.execute(query.order_by(a.c.id))]
    cabinets = {r[0] for r in rows if r[3] == CABINET_KIND}
    missing_parents = {r[5] for r in rows if r[3] == LUMINAIRE_KIND
                       and r[5] is not None and r[5] not in cabinets}
    parents = []
    if missing_parents:  # a cabinet in another commune still programmes its luminaires
        parents = [tuple(r) for r in conn.execute(select(a.c.id, a.c.properties).where(
            scope.asset_visible(), a.c.kind == CABINET_KIND,
            a.c.id.in_(sorted(missing_parents))))]
    zone_query = select(a.c.ref, a.c.kind, a.c.name, a.c.commune_insee, a.c.geometry,
                        a.c.properties, a.c.minx, a.c.miny, a.c.maxx, a.c.maxy).where(
        scope.asset_visible(), a.c.kind.in_(ZONE_KINDS), a.c.geometry.is_not(None))
    if commune is not None:
        zone_query = zone_query.where(or_(a.c.commune_insee == commune,
                                          a.c.commune_insee.is_(None)))
    zones = [tuple(r) for r in conn.execute(zone_query.order_by(a.c.id))]
    return ReportInputs(names, rows, parents, zones, _flux_rows(scope, conn, commune, zones))


def _flux_rows(scope: TenantScope, conn: Connection, commune: str | None,
               zones: list[tuple[Any, ...]]) -> list[tuple[Any, ...]] | None:
    """In a commune's report, the visible luminaires whose flux counts in its lit areas:
    every luminaire inside their bounding boxes, whatever its commune (a lit area may
    straddle a boundary); None otherwise (the report's luminaires)."""
    a = schema.assets
    lit = [z for z in zones if z[1] == "lighting.lit_area"]
    if commune is None or not lit:
        return None
    boxes = [and_(a.c.minx <= maxx, a.c.maxx >= minx, a.c.miny <= maxy, a.c.maxy >= miny)
             for *_, minx, miny, maxx, maxy in lit]
    return [tuple(r) for r in conn.execute(select(
        a.c.ref, a.c.name, a.c.commune_insee, a.c.properties, a.c.geometry).where(
        scope.asset_visible(), a.c.kind == LUMINAIRE_KIND, or_(*boxes)))]


def report_of(inputs: ReportInputs, commune: str | None = None,
              limits: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The report of the rows read (``read_inputs``)."""
    from .zones import make_zone

    cabinets = {i: orjson.loads(props) for i, _, _, kind, _, _, props, _ in inputs.rows
                if kind == CABINET_KIND}
    cabinets.update((i, orjson.loads(props)) for i, props in inputs.parents)
    points = [LightPoint(ref, name, insee, orjson.loads(props),
                         cabinets.get(parent) if parent is not None else None, i,
                         orjson.loads(geometry) if geometry else None)
              for i, ref, name, kind, insee, parent, props, geometry in inputs.rows
              if kind == LUMINAIRE_KIND]
    zones = [make_zone(ref, kind, name, insee, orjson.loads(geometry),
                       orjson.loads(props or "{}"))
             for ref, kind, name, insee, geometry, props, *_ in inputs.zones]
    flux_points = points if inputs.flux is None else [
        LightPoint(ref, name, insee, orjson.loads(props), geometry=orjson.loads(geometry))
        for ref, name, insee, props, geometry in inputs.flux]
    report = evaluate(points, limits, inputs.names, zones, flux_points)
    if commune is not None and not report["communes"]:
        report["communes"] = [{"insee": commune, "name": inputs.names[commune],
                               "counts": report["totals"]}]
    return report


def commune_report(scope: TenantScope, conn: Connection, commune: str | None = None,
                   limits: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The report of the luminaires the scope may see, in one commune or in all."""
    return report_of(read_inputs(scope, conn, commune), commune, limits)


# By (tenant, commune, ReportInputs.digest()): the same rows always give the same report
# (the rules and limits are code).
TOTALS_MEMO = ContentMemo(256)  # small dicts
REPORT_MEMO = ContentMemo(8)  # serialised reports: 1.7 MB for the demo's 4,839 luminaires


def _memoised(memo: ContentMemo, scope: TenantScope, conn: Connection, commune: str | None,
              compute: Callable[[dict[str, Any]], Any]) -> Any:
    inputs = read_inputs(scope, conn, commune)
    key = (scope.tenant_id, commune, inputs.digest())
    value = memo.get(key)
    if value is None:
        value = compute(report_of(inputs, commune))
        memo.put(key, value)
    return value


def report_totals(scope: TenantScope, conn: Connection, commune: str | None = None
                  ) -> dict[str, Any]:
    """``commune_report(scope, conn, commune)["totals"]``, evaluated once per content of
    the rows it reads (``TOTALS_MEMO``): the lighting summary shows them on every load. A
    copy, free to change."""
    return copy.deepcopy(_memoised(TOTALS_MEMO, scope, conn, commune,
                                   lambda report: report["totals"]))


def report_json(scope: TenantScope, conn: Connection, commune: str | None = None) -> bytes:
    """``commune_report(scope, conn, commune)`` serialised as the API sends JSON (orjson),
    evaluated once per content of the rows it reads (``REPORT_MEMO``)."""
    return _memoised(REPORT_MEMO, scope, conn, commune,
                     lambda report: orjson.dumps(report, option=orjson.OPT_NON_STR_KEYS))


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
