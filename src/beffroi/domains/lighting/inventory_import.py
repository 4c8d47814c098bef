"""Luminaire inventories and lighting zones from GIS exports: French column names and
values mapped to the kinds' properties, then core's asset import, plus an art. 5
completeness report for luminaires.

Zones (lit areas, trame noire corridors) come as GeoJSON polygons, or CSV with a
``geometry`` column holding GeoJSON; a zone that is not a polygon is refused by core's
validation with a French message naming the row.

Core's import (``beffroi import assets``) does the validation and the writing; this
module only renames columns (``temperature_couleur``, ``Tcouleur``, ``puissance``,
``type_lampe``…), normalises values written the way exports write them (``3 000 K``,
``70 W``, ``12,5``, ``15/03/2012``, ``SHP``, ``Ballon fluo``, ``oui``) and reports which
art. 5 data are missing, with ``compliance.article5_missing``.

A numeric cell is exactly one number (``read_number``), never the first number found in
it: ``2x70 W``, ``3000-4000``, ``environ 40`` and ``1.500`` (1,5 or 1 500?) refuse their
row with a French message naming the column and the value as typed
(``importing.Inventory.cell_errors``), as does a date that does not exist
(``31/02/2012``). With ``partial`` the other rows are still imported.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Connection

from ...core import importing
from ...core.access import TenantScope
from ...core.registry import Registry
from .compliance import ARTICLE5_FIELDS, LUMINAIRE_KIND, article5_missing
from .inventory_values import PROTECTION_ALIASES, as_bool

# Target name -> normalised column names met in GIS and asset-management exports.
ALIASES: dict[str, tuple[str, ...]] = {
    "ref": ("ref", "identifiant", "id", "id_pl", "num_pl", "numero", "numero_pl", "n_pl",
            "code_pl", "id_point", "point_lumineux"),
    "name": ("name", "nom", "libelle", "designation"),
    "commune": ("commune", "code_insee", "insee", "code_commune", "insee_com"),
    "parent_ref": ("parent_ref", "armoire", "ref_armoire", "id_armoire", "num_armoire",
                   "code_armoire"),
    "kind": ("kind",),
    "lon": ("lon", "longitude", "x", "long"),
    "lat": ("lat", "latitude", "y"),
    "category": ("category", "categorie", "cat", "categorie_arrete", "categorie_eclairage"),
    "lamp_type": ("lamp_type", "type_lampe", "type_de_lampe", "type_source", "source",
                  "lampe", "technologie", "techno", "nature_lampe"),
    "power_w": ("power_w", "puissance", "puissance_w", "puiss", "puissance_lampe", "p_w"),
    "flux_lm": ("flux_lm", "flux", "flux_lumineux", "flux_nominal", "flux_source"),
    "color_temperature_k": ("color_temperature_k", "temperature_couleur",
                            "temperature_de_couleur", "tcouleur", "t_couleur", "temp_couleur",
                            "tc", "tc_k", "cct", "temperature_couleur_k"),
    "ulr_percent": ("ulr_percent", "ulr", "ulr_pct", "ulr_pourcent"),
    "ulr_installed_percent": ("ulr_installed_percent", "ulr_installation", "ulr_installe"),
    "cie_flux_code_3_percent": ("cie_flux_code_3_percent", "code_flux_cie_3", "code_flux_3",
                                "code_flux_cie_n3", "code_flux_cie", "cie3", "cie_n3", "fcl3"),
    "head_installed": ("head_installed", "date_pose", "date_installation", "date_pose_tete",
                       "date_installation_tete", "date_mise_en_service", "annee_pose",
                       "annee_installation"),
    "mast_height_m": ("mast_height_m", "hauteur", "hauteur_feu", "hauteur_de_feu", "h_feu",
                      "hauteur_mat", "hauteur_m"),
    "dimmable": ("dimmable", "gradable", "gradation"),
    "built_up_area": ("built_up_area", "agglomeration", "en_agglomeration", "agglo",
                      "en_agglo"),
    "protected_area": ("protected_area", "espace_protege", "zone_protegee", "protection"),
    "lit_area_m2": ("lit_area_m2", "surface_eclairee", "surface_eclairee_m2"),
    "activity_related": ("activity_related", "lie_activite", "liee_activite"),
    "activity_start": ("activity_start", "debut_activite", "heure_ouverture"),
    "activity_end": ("activity_end", "fin_activite", "heure_fermeture"),
    "switch_on": ("switch_on", "heure_allumage", "allumage"),
    "switch_off": ("switch_off", "heure_extinction", "extinction"),
}
_BY_ALIAS = {alias: target for target, names in ALIASES.items() for alias in names}
# Numeric properties -> the units a cell may end with (case ignored).
UNITS: dict[str, tuple[str, ...]] = {
    "power_w": ("W",), "flux_lm": ("lm",), "color_temperature_k": ("K", "°K"),
    "ulr_percent": ("%",), "ulr_installed_percent": ("%",),
    "cie_flux_code_3_percent": ("%",), "mast_height_m": ("m",),
    "lit_area_m2": ("m²", "m2"), "declared_area_m2": ("m²", "m2")}
INTEGERS = ("color_temperature_k",)
BOOLEANS = ("dimmable", "built_up_area", "activity_related")
_LAMPS = (  # (words found in the normalised value, lamp type), first match wins
    (("mercure", "mercury", "ballon_fluo", "hg", "mbf", "bf", "vapeur_de_mercure"), "mercury"),
    (("sbp", "sodium_bp", "sodium_basse", "sodium_lp", "sox", "lps"), "sodium_lp"),
    (("shp", "sodium", "sodium_hp", "son", "nahp", "hps"), "sodium_hp"),
    (("iodure", "iodures", "ihm", "im", "metal_halide", "halogenure", "cosmo", "cdm",
      "ceramique", "mh"), "metal_halide"),
    (("fluo", "fluorescent", "fluocompacte", "tube", "tl", "fc"), "fluorescent"),
    (("led", "diode"), "led"),
)
# One number: digits, grouped by three with spaces (« 3 000 ») or not, an optional
# decimal part after a comma or a point, then an optional unit (checked by read_number).
_CELL_NUMBER = re.compile(
    r"(?P<sign>[+\-\u2212]?)(?P<whole>\d{1,3}(?:[ \u00a0\u202f]\d{3})+|\d+)"
    r"(?:(?P<separator>[.,])(?P<fraction>\d+))?\s*(?P<unit>[^\d\s].*)?")
_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")


def normalise(name: str) -> str:
    """"Température couleur (K)" -> "temperature_couleur_k"."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


# Zones: target name -> normalised column names.
ZONE_ALIASES: dict[str, tuple[str, ...]] = {
    "ref": ("ref", "identifiant", "id", "code", "code_zone", "id_zone"),
    "name": ("name", "nom", "libelle", "designation"),
    "commune": ALIASES["commune"],
    "kind": ("kind", "type_zone"),
    "category": ALIASES["category"],
    "built_up_area": ALIASES["built_up_area"],
    "declared_area_m2": ("declared_area_m2", "surface", "surface_m2", "surface_declaree",
                         "surface_eclairee", "surface_eclairee_m2"),
    "protected_area": ALIASES["protected_area"] + ("statut", "statut_protection"),
    "description": ("description", "commentaire", "observations"),
}
_ZONE_BY_ALIAS = {alias: target for target, names in ZONE_ALIASES.items() for alias in names}
ZONE_TYPES = {"surface-eclairee": "lighting.lit_area", "trame-noire": "lighting.dark_corridor"}


@dataclass
class ColumnMapping:
    renamed: dict[str, str] = field(default_factory=dict)  # original column -> property
    unmapped: list[str] = field(default_factory=list)  # kept as free properties
    aliases: Mapping[str, str] = field(default_factory=lambda: _BY_ALIAS)

    def column(self, target: str) -> str:
        """The column of the file that gave ``target``, as typed there."""
        return next((c for c, t in self.renamed.items() if t == target), target)

    def note(self, column: str) -> str:
        target = self.aliases.get(normalise(column))
        if target is None:
            if column not in self.unmapped:
                self.unmapped.append(column)
            return column
        if column != target:
            self.renamed[column] = target
        return target


def read_number(text: str, units: tuple[str, ...] = ()) -> int | float:
    """One number as a spreadsheet writes it — « 8 », « 12,5 », « 3 000 K », « 70 W » —
    or ValueError with the French reason. Nothing else is taken: not the first number of
    « 2x70 W », « 3000-4000 » or « environ 40 », and not « 1.500 », which is 1,5 or
    1 500 depending on who typed it (« 0.500 » and « 1.5 » are decimals)."""
    match = _CELL_NUMBER.fullmatch(text.strip())
    unit = (match["unit"] or "").strip().casefold() if match else ""
    if match is None or (unit and unit not in {u.casefold() for u in units}):
        raise ValueError("un seul nombre attendu, comme « 1 500 » ou « 12,5 »"
                         + (f", suivi ou non de l'unité « {units[0]} »" if units else ""))
    whole = re.sub(r"\D", "", match["whole"])
    fraction = match["fraction"] or ""
    if match["separator"] == "." and len(fraction) == 3 and re.fullmatch(r"[1-9]\d{0,2}",
                                                                            match["whole"]):
        decimals = fraction.rstrip("0")
        raise ValueError(f"séparateur ambigu, écrivez {whole}{fraction} ou "
                         f"{whole}{',' + decimals if decimals else ''}")
    number = float(f"{whole}.{fraction or 0}")
    number = -number if match["sign"] in ("-", "\u2212") else number
    return int(number) if number.is_integer() else number


def _lamp(value: Any) -> Any:
    text = normalise(str(value))
    words = set(text.split("_"))
    for keys, lamp in _LAMPS:
        if text in keys or any(k in words or (len(k) > 4 and k in text) for k in keys):
            return lamp
    return value


def _date(value: Any) -> str:
    """« 15/03/2012 », « 2012 » (1 January), « 2012-03-15 » -> « 2012-03-15 »; ValueError
    with the French reason for a date that cannot be read or does not exist."""
    text = str(value).strip()
    if match := _DMY.match(text):
        day, month, year = match.groups()
        iso = f"{year}-{int(month):02d}-{int(day):02d}"
    elif re.fullmatch(r"\d{4}", text):  # year only: 1 January of that year
        iso = f"{text}-01-01"
    else:
        iso = text[:10] if re.match(r"\d{4}-\d{2}-\d{2}[T ]", text) else text
    try:
        date.fromisoformat(iso)
    except ValueError:
        raise ValueError("date impossible ou illisible (attendu : JJ/MM/AAAA, AAAA-MM-JJ ou "
                         "l'année seule AAAA)") from None
    return iso


def _built_up(value: Any) -> Any:
    text = normalise(str(value))
    if text.startswith("hors"):
        return False
    if text.startswith(("en_agglo", "agglo")):
        return True
    flag = as_bool(value)
    return value if flag is None else flag


def normalise_properties(props: Mapping[str, Any],
                         column: Callable[[str], str] = str,
                         ) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """The properties with their values normalised, and the errors of the cells that
    cannot be read (each left out of the properties): field, and a French message naming
    the column (``column`` gives its name as typed in the file) and the value as typed."""
    out = {}
    errors = []
    for name, value in props.items():
        if value is None or value == "":
            continue
        try:
            value = _normalised(name, value)
        except ValueError as exc:
            errors.append({"field": f"properties.{name}",
                           "message": f"colonne « {column(name)} », valeur « {value} » : "
                                      f"{exc}"})
            continue
        out[name] = value
    return out, errors


def _normalised(name: str, value: Any) -> Any:
    if name in UNITS:
        if isinstance(value, str):
            value = read_number(value, UNITS[name])
        if name in INTEGERS and isinstance(value, float):
            if not value.is_integer():
                raise ValueError("nombre entier attendu, comme « 3000 » ou « 3 000 K »")
            value = int(value)
    elif name == "lamp_type":
        value = _lamp(value)
    elif name == "category":
        text = normalise(str(value)).removeprefix("cat_").removeprefix("categorie_")
        value = text if len(text) == 1 else value
    elif name == "head_installed":
        value = _date(value)
    elif name == "built_up_area":
        value = _built_up(value)
    elif name in BOOLEANS:
        flag = as_bool(value)
        value = value if flag is None else flag
    elif name == "protected_area":
        value = PROTECTION_ALIASES.get(str(value).strip().lower(),
                                       PROTECTION_ALIASES.get(normalise(str(value)), value))
    return value


def _normalise_rows(inventory: importing.Inventory, mapping: ColumnMapping) -> None:
    for index, row in enumerate(inventory.rows):
        if isinstance(row, dict) and isinstance(row.get("properties"), dict):
            row["properties"], errors = normalise_properties(row["properties"], mapping.column)
            if errors:
                inventory.cell_errors.setdefault(index, []).extend(errors)


def parse_luminaires(raw: bytes, content_type: str = "", filename: str = ""
                     ) -> tuple[importing.Inventory, ColumnMapping]:
    """Rows for ``importing.import_assets`` (kind ``lighting.luminaire`` by default)."""
    mapping = ColumnMapping()
    inventory = importing.parse_inventory(raw, content_type, filename,
                                          default_kind=LUMINAIRE_KIND, rename=mapping.note)
    _normalise_rows(inventory, mapping)
    return inventory, mapping


def completeness(rows: list[Any]) -> dict[str, Any]:
    """Which art. 5 data each luminaire of the file lacks, and counts per field."""
    missing_rows = []
    total = 0
    for index, row in enumerate(rows, start=1):
        if not isinstance(row, dict) or row.get("kind") != LUMINAIRE_KIND:
            continue
        total += 1
        missing = article5_missing(row.get("properties") or {})
        if missing:
            missing_rows.append({"row": index, "ref": row.get("ref"), "missing": missing})
    by_field = Counter(f for r in missing_rows for f in r["missing"])
    return {"luminaires": total, "complete": total - len(missing_rows),
            "incomplete": len(missing_rows),
            "missing_by_field": {n: by_field[n] for n, _, _ in ARTICLE5_FIELDS if by_field[n]},
            "rows": missing_rows}


def import_luminaires(scope: TenantScope, conn: Connection, registry: Registry, raw: bytes,
                      content_type: str = "", filename: str = "", *, dry_run: bool = False,
                      partial: bool = False) -> dict[str, Any]:
    """Map, import through core, and report completeness."""
    inventory, mapping = parse_luminaires(raw, content_type, filename)
    report = importing.import_assets(scope, conn, registry, inventory, partial=partial,
                                     dry_run=dry_run)
    return {"import": report.as_dict(), "completeness": completeness(inventory.rows),
            "columns": {"renamed": mapping.renamed, "unmapped": mapping.unmapped}}


def parse_zones(raw: bytes, content_type: str = "", filename: str = "",
                kind: str = "lighting.lit_area") -> tuple[importing.Inventory, ColumnMapping]:
    """Rows for ``importing.import_assets`` of lit areas or trame noire corridors (``kind``
    by default, a ``kind`` / ``type_zone`` column otherwise)."""
    mapping = ColumnMapping(aliases=_ZONE_BY_ALIAS)
    inventory = importing.parse_inventory(raw, content_type, filename, default_kind=kind,
                                          rename=mapping.note)
    _normalise_rows(inventory, mapping)
    for index, row in enumerate(inventory.rows):
        if not isinstance(row, dict):
            continue
        row["kind"] = ZONE_TYPES.get(str(row.get("kind")), row.get("kind"))
        if row["kind"] not in ZONE_TYPES.values():
            inventory.cell_errors.setdefault(index, []).append({
                "field": "kind", "message": f"« {row['kind']} » n'est pas une zone "
                                            "d'éclairage (surface-eclairee ou trame-noire)"})
    return inventory, mapping


def import_zones(scope: TenantScope, conn: Connection, registry: Registry, raw: bytes,
                 content_type: str = "", filename: str = "", *, kind: str = "lighting.lit_area",
                 dry_run: bool = False, partial: bool = False) -> dict[str, Any]:
    """Map and import zones through core; a row of another kind than a lighting zone is
    refused (French message), as core refuses a zone that is not a polygon."""
    inventory, mapping = parse_zones(raw, content_type, filename, kind)
    report = importing.import_assets(scope, conn, registry, inventory, partial=partial,
                                     dry_run=dry_run)
    return {"import": report.as_dict(),
            "columns": {"renamed": mapping.renamed, "unmapped": mapping.unmapped}}
