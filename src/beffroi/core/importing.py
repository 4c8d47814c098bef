"""Asset inventories imported from GIS exports (GeoJSON or CSV), with a validation report.

Files are read by ``textfiles`` (strict encoding detection, strict CSV): the report says
which encoding was used, and a malformed CSV record is reported with its line like any
invalid row. By default an import is all-or-nothing: if any row is invalid nothing is
written and the report lists every problem. With ``partial=True`` the valid rows are
written and the invalid ones reported. A domain reading its own columns first may refuse
a row for one of its cells (``Inventory.cell_errors``): that row is invalid like any
other. Rows are matched on ``ref``: a known ref updates
the asset, a new one creates it.

CSV columns: ``ref``, ``kind`` (key or French label of the kind: « Bâtiment public »),
``name``, ``commune`` (INSEE code), ``parent_ref`` (a ref of the file or of the tenant:
children may come before their parent), ``lon``/``lat`` (or ``geometry`` as GeoJSON);
every other column is a property of the row's kind by its name, converted to its declared
type (``properties.check_value``): decimal commas and spaces between thousands
(« 2 450,5 »), booleans oui/non, enumerations by code or French label (« gaz naturel »),
lists of entries as JSON or « champ:champ ; champ:champ » in the declared field order,
objects as JSON. An empty cell is no value, so one file may hold several kinds (buildings
and their meters) with the columns of each.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import Connection, select, update

from ..storage import schema
from . import textfiles
from .access import TenantScope
from .assets import check_asset
from .clock import now_ms
from .derived import rederive
from .errors import Invalid
from .geometry import LocalArea, point, representative_lonlat
from .registry import Registry
from .storable import Refused, duplicate_keys, duplicate_reason

CORE_COLUMNS = {"ref", "kind", "name", "commune", "parent_ref", "lon", "lat", "longitude",
                "latitude", "x", "y", "geometry"}
# How the report names the fields the checks name (``field_label`` of each error and
# warning), in French, with the column to look for when it differs: the position is the
# ``geometry`` of a GeoJSON feature, the ``lon``/``lat`` columns of a CSV.
FIELD_LABELS = {"ref": "identifiant (ref)", "kind": "type d'équipement (kind)",
                "name": "nom (name)", "commune": "commune",
                "parent_ref": "parent (parent_ref)", "parent_id": "parent",
                "geometry": "position", "external_ids": "identifiants externes",
                "properties": "propriétés"}
MAX_ROWS = 200_000
# A position this close to its commune's boundary counts as inside: boundaries (IGN Admin
# Express) are generalised to a few metres and devices sit on the limit road.
COMMUNE_TOLERANCE_M = 50


@dataclass(frozen=True)
class RowProblem:
    """A row that could not be read at all (malformed CSV record, not a GeoJSON feature)."""

    message: str
    field: str = ""


@dataclass
class Inventory:
    """The rows of an inventory file, with where they come from."""

    rows: list[Any]  # row documents (dict) or RowProblem
    lines: list[int] | None = None  # CSV: physical line of each row in the file
    encoding: str | None = None  # "utf-8" | "windows-1252"
    warnings: list[str] = field(default_factory=list)  # about the whole file
    # Problems a domain found in a row's cells while reading them the way its exports
    # write them (« 2x70 W » is not one power), by row index: the row is refused with
    # them, next to core's own checks of that row.
    cell_errors: dict[int, list[dict[str, Any]]] = field(default_factory=dict)


@dataclass
class ImportReport:
    total: int = 0
    created: int = 0
    updated: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    written: bool = False
    encoding: str | None = None
    lines: list[int] | None = None
    kinds: dict[int, Any] = field(default_factory=dict)  # each row's kind, by row (from 1)

    def _located(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if self.lines is None:
            return items
        return [{"row": e["row"], "line": self.lines[e["row"] - 1] if e.get("row") else None,
                 **e} for e in items]

    def _labelled(self, items: list[dict[str, Any]], registry: Registry | None
                  ) -> list[dict[str, Any]]:
        """With ``registry``: ``field_label`` on each item that names a field."""
        if registry is None:
            return items
        return [{**e, "field_label": field_label(registry, self.kinds.get(e.get("row")),
                                                 str(e["field"]))} if e.get("field") else e
                for e in items]

    def as_dict(self, registry: Registry | None = None) -> dict[str, Any]:
        """The report as the API gives it; with ``registry``, each field at fault named in
        French too (``field_label``: what the administration page shows)."""
        return {"total": self.total, "valid": self.total - len({e["row"] for e in self.errors}),
                "created": self.created, "updated": self.updated, "written": self.written,
                "encoding": self.encoding,
                "errors": self._labelled(self._located(self.errors), registry),
                "warnings": self._labelled(self._located(self.warnings), registry)}


def rows_from_geojson(data: Any, default_kind: str | None,
                      rename: Callable[[str], str] | None = None) -> list[Any]:
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise Invalid("Une FeatureCollection GeoJSON est attendue.")
    features = data.get("features") or []
    if not isinstance(features, list):
        raise Invalid("« features » doit être une liste d'entités GeoJSON.")
    rows: list[Any] = []
    for feature in features:
        if isinstance(feature, Refused):  # a key named twice (``textfiles.load_json``)
            rows.append(RowProblem(feature.inside, feature.field))
            continue
        if not isinstance(feature, dict) or not isinstance(feature.get("properties") or {}, dict):
            rows.append(RowProblem("entité GeoJSON attendue : objet « Feature » avec un objet "
                                   "« properties »"))
            continue
        props = dict(feature.get("properties") or {})
        if rename:
            props, clash = _renamed(props, rename)
            if clash:
                rows.append(RowProblem(clash))
                continue
        doc: dict[str, Any] = {"geometry": feature.get("geometry")}
        for key in ("ref", "kind", "name", "commune", "parent_ref"):
            if key in props:
                doc[key] = props.pop(key)
        if "ref" not in doc and feature.get("id") is not None:
            doc["ref"] = str(feature["id"])
        doc.setdefault("kind", default_kind)
        nested = props.pop("properties", None)
        props.pop("external_ids", None)
        doc["properties"] = {**props, **(nested if isinstance(nested, dict) else {})}
        rows.append(doc)
    return rows


def _renamed(props: dict[str, Any], rename: Callable[[str], str]
             ) -> tuple[dict[str, Any], str | None]:
    out: dict[str, Any] = {}
    origin: dict[str, str] = {}
    for key, value in props.items():
        name = rename(str(key))
        if name in out:
            return out, (f"propriétés « {origin[name]} » et « {key} » désignant toutes deux "
                         f"« {name} »")
        out[name], origin[name] = value, str(key)
    return out, None


def rows_from_csv(table: textfiles.CsvTable, default_kind: str | None) -> list[Any]:
    """CSV columns: ref, kind, name, commune, parent_ref, lon/lat (or geometry as GeoJSON);
    every other column is a property of the kind, converted to its declared type."""
    if "ref" not in table.columns:
        raise Invalid("En-tête CSV attendu avec au moins la colonne « ref » "
                      "(et kind, name, commune, lon, lat…).")
    rows: list[Any] = []
    for record in table.records:
        if record.values is None:
            rows.append(RowProblem(record.problem or "ligne illisible"))
            continue
        line = record.values
        doc: dict[str, Any] = {k: line[k] for k in ("ref", "kind", "name", "commune", "parent_ref")
                               if line.get(k)}
        doc.setdefault("kind", default_kind)
        lon = line.get("lon") or line.get("longitude") or line.get("x")
        lat = line.get("lat") or line.get("latitude") or line.get("y")
        if line.get("geometry"):
            try:
                doc["geometry"] = orjson.loads(line["geometry"])
            except orjson.JSONDecodeError:
                doc["geometry"] = "illisible"
            found = duplicate_keys(line["geometry"], doc["geometry"])
            if found:
                rows.append(RowProblem(f"JSON ambigu : {duplicate_reason(*found[0])}",
                                       "geometry"))
                continue
        elif lon or lat:
            try:
                doc["geometry"] = point(float(lon.replace(",", ".")), float(lat.replace(",", ".")))
            except (ValueError, AttributeError):
                doc["geometry"] = {"type": "Point", "coordinates": [lon, lat]}
        else:
            doc["geometry"] = None
        doc["properties"] = {k: v for k, v in line.items() if k not in CORE_COLUMNS}
        rows.append(doc)
    return rows


def ref_key(value: Any) -> str | None:
    """The ref as stored (``check_asset`` strips text and accepts integers), or None."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return None
    return value.strip() or None


def parse_inventory(raw: bytes, content_type: str, filename: str = "",
                    default_kind: str | None = None,
                    rename: Callable[[str], str] | None = None) -> Inventory:
    """The rows of a CSV or GeoJSON file; ``rename`` maps column (property) names first."""
    is_csv = "csv" in content_type or filename.lower().endswith(".csv")
    if is_csv:
        table = textfiles.read_csv(textfiles.decode(raw), rename=rename)
        return Inventory(rows_from_csv(table, default_kind), [r.line for r in table.records],
                         table.encoding, table.warnings)
    data, decoded = textfiles.load_json(raw, "GeoJSON", items=("features",))
    return Inventory(rows_from_geojson(data, default_kind, rename), None, decoded.encoding,
                     list(decoded.warnings))


def field_label(registry: Registry, kind: Any, field_name: str) -> str:
    """The French name of a field of the report (``FIELD_LABELS``); a property by its
    label and its column (« Puissance (power_w) »), for the row's kind; else as given."""
    if field_name in FIELD_LABELS:
        return FIELD_LABELS[field_name]
    if field_name.startswith("properties."):
        column = field_name.removeprefix("properties.")
        asset_kind = registry.asset_kinds.get(kind) if isinstance(kind, str) else None
        spec = asset_kind.property(re.split(r"[.\[]", column, maxsplit=1)[0]) \
            if asset_kind else None
        return f"{spec.label} ({column})" if spec else column
    return field_name


def import_assets(scope: TenantScope, conn: Connection, registry: Registry,
                  rows: Inventory | list[Any], *, partial: bool = False, dry_run: bool = False,
                  progress: Callable[[int], None] | None = None) -> ImportReport:
    """Validate every row, then write all (or, with ``partial``, the valid ones).

    ``rows``: a parsed file (``parse_inventory``) or a plain list of row documents.
    """
    scope.require("write")
    inventory = rows if isinstance(rows, Inventory) else Inventory(list(rows))
    rows = inventory.rows
    if len(rows) > MAX_ROWS:
        raise Invalid(f"{len(rows)} lignes : {MAX_ROWS} au plus par import.")
    a = schema.assets
    report = ImportReport(total=len(rows), encoding=inventory.encoding, lines=inventory.lines,
                          warnings=[{"row": None, "field": "", "message": w}
                                    for w in inventory.warnings])
    communes = {r.insee for r in conn.execute(select(schema.communes.c.insee)
                                              .where(scope.owns(schema.communes)))}
    existing = {r.ref: r for r in conn.execute(select(a).where(scope.owns(a)))}
    refs = {ref: r.id for ref, r in existing.items()}
    seen: set[str] = set()
    keys = [ref_key(r.get("ref")) if isinstance(r, dict) else None for r in rows]
    # Parents may be defined in the same file: give every new ref an id first.
    new_refs = list(dict.fromkeys(k for k in keys if k and k not in refs))
    if new_refs and not dry_run:
        first = scope.db.allocate_ids(conn, "assets", len(new_refs))
        refs.update({ref: first + i for i, ref in enumerate(new_refs)})
    elif new_refs:
        refs.update({ref: -1 - i for i, ref in enumerate(new_refs)})
    valid: list[tuple[int, dict[str, Any], Any]] = []
    # A spreadsheet may name the kind by its French label (« Bâtiment public »).
    kinds_by_label = {_folded(k.label): k.key for k in registry.asset_kinds.values()}
    for index, doc in enumerate(rows):
        current = existing.get(keys[index]) if keys[index] else None
        if isinstance(doc, RowProblem):
            values, errors = {}, [{"field": doc.field, "message": doc.message}]
        else:
            if isinstance(doc.get("kind"), str) and doc["kind"] not in registry.asset_kinds:
                doc = {**doc, "kind": kinds_by_label.get(_folded(doc["kind"]), doc["kind"])}
            report.kinds[index + 1] = doc.get("kind")  # (for the fields' labels)
            values, errors = check_asset(scope, conn, registry, doc, communes=communes,
                                         refs=refs, from_text=True)
        errors = [*errors, *inventory.cell_errors.get(index, ())]
        ref = values.get("ref")
        if ref in seen:
            errors.append({"field": "ref", "message": f"identifiant « {ref} » en double dans le fichier"})
        if ref:
            seen.add(ref)
        if current is not None and scope.communes is not None \
                and current.commune_insee not in scope.communes:
            errors.append({"field": "ref", "message": "équipement existant hors de vos communes"})
        for err in errors:
            report.errors.append({"row": index + 1, "ref": ref, **err})
        if not errors:
            valid.append((index, values, current))
        if progress:
            progress(1)
    _check_parents(rows, valid, existing, refs, report)
    _check_communes(scope, conn, valid, report)
    if dry_run or (report.errors and not partial):
        return report
    now = now_ms()
    inserts = []
    changed = []  # updated assets whose properties changed: their derived values follow
    for _index, values, current in valid:
        if current is None:
            inserts.append({"tenant_id": scope.tenant_id, "id": refs[values["ref"]],
                            "created_at": now, "updated_at": now, "parent_id": None, **values})
            report.created += 1
        else:
            conn.execute(update(a).where(scope.owns(a), a.c.id == current.id)
                         .values(updated_at=now, **values))
            report.updated += 1
            if "properties" in values and values["properties"] != current.properties:
                changed.append(current.id)
    if inserts:
        conn.execute(a.insert(), inserts)
    if changed and registry.derived:
        rederive(scope, conn, registry, changed)
    report.written = True
    scope.audit(conn, "import", "asset", None, {"created": report.created,
                                                "updated": report.updated,
                                                "rejected": len({e['row'] for e in report.errors})})
    return report


def _folded(text: str) -> str:
    return " ".join(text.casefold().split())


def _check_parents(rows: list[Any], valid: list[tuple[int, dict[str, Any], Any]],
                   existing: dict[str, Any], refs: dict[str, int], report: ImportReport) -> None:
    """Drop from ``valid`` (and report) the rows whose parent would not exist after the
    import (a rejected row of the same file) or which would be their own ancestor."""
    def reject(item: tuple[int, dict[str, Any], Any], message: str) -> None:
        valid.remove(item)
        report.errors.append({"row": item[0] + 1, "ref": item[1]["ref"], "field": "parent_ref",
                              "message": message})

    kept = {r.id for r in existing.values()} | {refs[v["ref"]] for _, v, _ in valid}
    changed = True
    while changed:  # a rejected parent also orphans its grandchildren
        changed = False
        for item in list(valid):
            parent_id = item[1].get("parent_id")
            if parent_id is not None and parent_id not in kept:
                parent_ref = str(rows[item[0]].get("parent_ref")).strip()
                reject(item, f"parent « {parent_ref} » rejeté dans ce fichier")
                if item[2] is None:  # an existing asset stays, only its update is refused
                    kept.discard(refs[item[1]["ref"]])
                changed = True
    parents = {r.id: r.parent_id for r in existing.values()}
    for _, values, current in valid:
        if "parent_id" in values or current is None:
            parents[refs[values["ref"]]] = values.get("parent_id")
    for item in list(valid):
        own = refs[item[1]["ref"]]
        node, steps = parents.get(own), 0
        while node is not None and node != own and steps <= len(parents):
            node, steps = parents.get(node), steps + 1
        if node == own:
            reject(item, "un équipement ne peut être son propre parent"
                   if parents.get(own) == own else "rattachement circulaire entre équipements")
    report.errors.sort(key=lambda e: e["row"])


def _check_communes(scope: TenantScope, conn: Connection,
                    valid: list[tuple[int, dict[str, Any], Any]], report: ImportReport) -> None:
    """Warn (the row still imports) when a row states a commune that has a boundary and
    its point, or the representative point of its line or polygon, lies farther than
    ``COMMUNE_TOLERANCE_M`` outside it."""
    by_commune: dict[str, list[tuple[int, str, bool, float, float]]] = {}
    for index, values, _ in valid:
        if values.get("commune_insee") and values.get("geometry"):
            geom = orjson.loads(values["geometry"])
            lon, lat = representative_lonlat(geom)
            by_commune.setdefault(values["commune_insee"], []).append(
                (index, values["ref"], geom["type"] == "Point", lon, lat))
    if not by_commune:
        return
    c = schema.communes
    for commune in conn.execute(select(c.c.insee, c.c.name, c.c.boundary).where(
            scope.owns(c), c.c.insee.in_(sorted(by_commune)), c.c.boundary.is_not(None))):
        rows = by_commune[commune.insee]
        distances = LocalArea(orjson.loads(commune.boundary)).distances_m(
            [r[3] for r in rows], [r[4] for r in rows])
        for (index, ref, is_point, _, _), distance in zip(rows, distances, strict=True):
            if distance > COMMUNE_TOLERANCE_M:
                what = "point" if is_point else "point représentatif de la géométrie"
                report.warnings.append({
                    "row": index + 1, "ref": ref, "field": "commune",
                    "distance_m": round(float(distance)),
                    "message": f"{what} à {_distance_text(distance)} hors de la commune "
                               f"{commune.insee} ({commune.name}) : vérifiez la commune ou les "
                               "coordonnées"})
    report.warnings.sort(key=lambda w: w["row"] or 0)


def _distance_text(metres: float) -> str:
    """« 60 m », « 520 m », « 1,2 km », « 12 km »."""
    if metres < 995:
        return f"{round(metres, -1):.0f} m"
    km = metres / 1000
    return f"{km:.1f} km".replace(".", ",") if km < 9.95 else f"{km:.0f} km"
