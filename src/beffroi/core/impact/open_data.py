"""The impact report as an open-data CSV (``GET /tenants/{t}/impact.csv``, ``beffroi report
impact --out rapport.csv``).

The format French open-data portals expect (data.gouv.fr, schema.data.gouv.fr and the
"socle commun des données locales" of OpenDataFrance): UTF-8 without BOM, comma separator,
point as decimal separator, one header row of lower-case names without accents, ISO
8601 dates, one value per cell, an empty cell for an unknown value.

One row per figure of the report, in the report's order:

- ``gain``: each item of each domain (what it saved against its baseline);
- ``indicateur``: each count of each domain (``valeur`` and ``unite``; no kWh, €, kg, m³);
- ``deplacement_evite``: each kind of site visit avoided (``valeur``: the number of visits);
- ``empreinte``: each part of the platform's footprint;
- ``total``: the gross figures (``brut``), the footprint (``empreinte``) and the net
  figures (``net``).

Columns (``COLUMNS``): siren, territoire, periode_debut, periode_fin, communes (the INSEE
codes covered, separated by « ; », empty for the whole territory), rubrique, domaine, cle,
libelle, kwh, eur, kgco2e, m3, valeur, unite, qualite (measured, estimated or assumed).
Numbers are those of the JSON report (rounded to 0.001); the generation time is left out so
that the same data and settings give the same file.
"""

from __future__ import annotations

import csv
import io
from typing import Any

COLUMNS = ("siren", "territoire", "periode_debut", "periode_fin", "communes", "rubrique",
           "domaine", "cle", "libelle", "kwh", "eur", "kgco2e", "m3", "valeur", "unite",
           "qualite")
MEDIA_TYPE = "text/csv; charset=utf-8"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):  # already rounded to 0.001: never an exponent
        return f"{value:.3f}".rstrip("0").rstrip(".")
    return str(value)


def rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The report's figures as the CSV's rows (dicts keyed by ``COLUMNS``)."""
    communes = report["communes"]
    head = {"siren": report["tenant"]["siren"], "territoire": report["tenant"]["name"],
            "periode_debut": report["period"]["from"], "periode_fin": report["period"]["to"],
            "communes": "" if communes is None else ";".join(c["insee"] for c in communes)}

    def row(rubrique: str, domaine: str | None, cle: str, libelle: str,
            figures: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
        figures = figures or {}
        return {**head, "rubrique": rubrique, "domaine": domaine, "cle": cle,
                "libelle": libelle, **{k: figures.get(k) for k in ("kwh", "eur", "kgco2e",
                                                                   "m3")},
                "valeur": extra.get("valeur"), "unite": extra.get("unite"),
                "qualite": extra.get("qualite")}

    out = []
    for d in report["domains"]:
        for item in d["items"]:
            out.append(row("gain", d["domain"], item["key"], item["label"], item,
                           qualite=item["quality"]))
        for count in d["counts"]:
            out.append(row("indicateur", d["domain"], count["key"], count["label"],
                           valeur=count["value"], unite=count["unit"], qualite=d["quality"]))
    for item in report["field_trips"]["items"]:
        out.append(row("deplacement_evite", None, item["action"], item["label"],
                       {"eur": item["eur"], "kgco2e": item["kgco2e"]}, valeur=item["trips"],
                       unite="déplacements", qualite=item["quality"]))
    for part in report["footprint"]["parts"]:
        out.append(row("empreinte", None, part["key"], part["label"], part,
                       qualite=part["quality"]))
    out.append(row("total", None, "brut", "Gains bruts", report["gross"]))
    out.append(row("total", None, "empreinte", "Empreinte de la plateforme",
                   report["footprint"]))
    out.append(row("total", None, "net", "Gains nets (bruts − empreinte)", report["net"]))
    return out


def report_csv(report: dict[str, Any]) -> str:
    """The CSV text (header and rows, "\\n" line ends)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for r in rows(report):
        writer.writerow([_cell(r[c]) for c in COLUMNS])
    return buffer.getvalue()
