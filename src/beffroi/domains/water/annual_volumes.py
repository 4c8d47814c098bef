"""The yearly volumes of a water service entered by hand (from billing, meter rounds, the
abstraction declaration), stored on its ``water.service`` asset.

A service's ``years`` property holds ``{"2025": {"produced_m3": 120000, ...}, ...}``.
It is written through ``core.assets.update_asset``, so every change is validated as an
asset property and audited, without a table of its own. Each year is checked field by
field: the valid fields are stored, the rejected ones are reported in French and keep
their previous value, so that a typo never erases a figure already entered.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection

from ...core import assets
from ...core.access import TenantScope
from ...core.clock import PARIS, now_ms
from ...core.errors import Invalid, NotFound
from ...core.properties import check_value
from ...core.registry import PropertySpec, Registry

SERVICE_KIND = "water.service"
YEARS_PROPERTY = "years"
FIRST_YEAR = 1990
MAX_VOLUME_M3 = 1e9

_VOLUME = {"type": "number", "unit": "m3", "minimum": 0, "maximum": MAX_VOLUME_M3}
FIELDS: tuple[PropertySpec, ...] = (
    PropertySpec("produced_m3", label="Volume produit (V1)", **_VOLUME),
    PropertySpec("imported_m3", label="Volume importé (V2)", **_VOLUME),
    PropertySpec("exported_m3", label="Volume exporté, vendu en gros (V3)", **_VOLUME),
    PropertySpec("metered_consumption_m3",
                 label="Consommation comptabilisée, facturation (V7)", **_VOLUME),
    PropertySpec("unmetered_consumption_m3",
                 label="Consommation autorisée sans comptage (V8)", **_VOLUME),
    PropertySpec("service_volume_m3", label="Volume de service du réseau (V9)", **_VOLUME),
    PropertySpec("zre_abstraction_m3",
                 label="Prélèvements en zone de répartition des eaux (ZRE)", **_VOLUME),
    PropertySpec("mains_length_km", "number",
                 "Linéaire de réseau hors branchements au 31 décembre", unit="km", minimum=0,
                 maximum=100_000),
    PropertySpec("comment", "string", "Commentaire"),
)
FIELD_NAMES = tuple(f.name for f in FIELDS)
MAX_COMMENT = 2000


def fields_public() -> list[dict[str, Any]]:
    """The form's fields, for clients that draw it."""
    return [{"name": f.name, "label": f.label, "type": f.type, "unit": f.unit} for f in FIELDS]


def parse_year(text: Any, today_year: int | None = None) -> int:
    """A year from a path or query: four digits, 1990 to the current year."""
    current = today_year or datetime.fromtimestamp(now_ms() / 1000, PARIS).year
    text = str(text).strip()
    if not re.fullmatch(r"\d{4}", text):
        raise Invalid(f"Année « {text[:20]} » illisible.",
                      errors=[{"field": "year", "message": "année sur quatre chiffres attendue "
                                                           "(par exemple 2025)"}])
    year = int(text)
    if not FIRST_YEAR <= year <= current:
        raise Invalid(f"Année {year} hors de la période admise.",
                      errors=[{"field": "year", "message": f"de {FIRST_YEAR} à {current} "
                                                           "(pas d'année à venir)"}])
    return year


def check_figures(body: Any) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """(valid figures, errors): each field checked on its own."""
    if not isinstance(body, Mapping):
        raise Invalid("Objet JSON attendu : les volumes de l'année, champ par champ.",
                      errors=[{"field": "", "message": "objet attendu, par exemple "
                                                       '{"produced_m3": 120000}'}])
    specs = {f.name: f for f in FIELDS}
    clean: dict[str, Any] = {}
    errors: list[dict[str, str]] = []
    for name, value in body.items():
        spec = specs.get(name)
        if spec is None:
            errors.append({"field": name, "message": "champ inconnu (attendus : "
                                                     + ", ".join(FIELD_NAMES) + ")"})
            continue
        if value is None:
            continue  # an empty form field
        value, message = check_value(spec, value)
        if message is None and spec.type == "string" and len(value) > MAX_COMMENT:
            message = f"{MAX_COMMENT} caractères au plus"
        if message:
            errors.append({"field": name, "message": f"{spec.label} : {message}"})
        else:
            clean[name] = value
    return clean, errors


def stored_years(properties: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The valid figures stored on a service, by year (anything else written through the
    generic asset routes is left out)."""
    years = properties.get(YEARS_PROPERTY)
    if not isinstance(years, Mapping):
        return {}
    out = {}
    for year, figures in years.items():
        if re.fullmatch(r"\d{4}", str(year)) and isinstance(figures, Mapping):
            clean, _ = check_figures({k: v for k, v in figures.items() if k in FIELD_NAMES})
            out[str(year)] = clean
    return dict(sorted(out.items()))


def service_row(scope: TenantScope, conn: Connection, asset_id: int) -> Any:
    row = scope.asset(conn, asset_id)
    if row.kind != SERVICE_KIND:
        raise NotFound(f"L'équipement {asset_id} n'est pas un service d'eau potable.")
    return row


def service_years(scope: TenantScope, conn: Connection, asset_id: int) -> dict[str, Any]:
    scope.require("read")
    row = service_row(scope, conn, asset_id)
    return {"service_id": row.id, "ref": row.ref, "name": row.name,
            "commune": row.commune_insee, "fields": fields_public(),
            "years": stored_years(orjson.loads(row.properties))}


def year_figures(scope: TenantScope, conn: Connection, asset_id: int,
                 year_text: str) -> dict[str, Any]:
    scope.require("read")
    row = service_row(scope, conn, asset_id)
    year = parse_year(year_text)
    return {"service_id": row.id, "year": year, "fields": fields_public(),
            "figures": stored_years(orjson.loads(row.properties)).get(str(year), {})}


def put_year(scope: TenantScope, conn: Connection, registry: Registry, asset_id: int,
             year_text: str, body: Any) -> dict[str, Any]:
    """Replace a year's figures by the body's valid fields.

    Rejected fields keep their stored value and are listed in ``rejected``; when no field
    of a non-empty body is valid, nothing changes and the errors are raised (422).
    Fields absent from the body (or null) are cleared, as a form sends them all.
    """
    scope.require("write")
    row = service_row(scope, conn, asset_id)
    scope.require_commune(row.commune_insee)
    year = parse_year(year_text)
    figures, errors = check_figures(body)
    if errors and not figures:
        raise Invalid(f"Volumes {year} refusés : aucun champ valide.", errors=errors)
    properties = orjson.loads(row.properties)
    years = stored_years(properties)
    before = years.get(str(year), {})
    kept = {e["field"]: before[e["field"]] for e in errors if e["field"] in before}
    years[str(year)] = {**figures, **kept}
    assets.update_asset(scope, conn, registry, row.id,
                        {"properties": {YEARS_PROPERTY: dict(sorted(years.items()))}})
    return {"service_id": row.id, "year": year, "figures": years[str(year)],
            "rejected": errors, "kept": sorted(kept),
            "message": (f"Volumes {year} enregistrés." if not errors else
                        f"Volumes {year} enregistrés sauf {len(errors)} champ(s) refusé(s) ; "
                        "les valeurs précédentes de ces champs sont conservées.")}
