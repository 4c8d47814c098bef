"""The RPQS indicators of each water service of a tenant, for a calendar year or the last
twelve months: the volumes used (entered by hand or measured), the indicators, the décret
2012-97 verdict and the ILP rating.

Where each volume comes from:

- for a **calendar year**, a figure entered for that year wins (it is the one the service
  declares to SISPEA); failing that the service's meters of the matching role (production,
  import, export) when they cover the year, each with its coverage shown;
- for the **last twelve months**, meters first; failing that the latest year entered
  (billing is read once a year, so consumption always comes from the last billing year);
- the consumptions V7, V8, V9 come from billing only: remotely read customer meters are a
  sample of the subscribers, not all of them;
- the mains length is the one entered for the year, else the sum of the sectors' lengths.

Meters never stand for a period that is not over: for the current year, a meter that
covers the days elapsed (say 93 % of the year in early December) would pass the coverage
test with eleven months of volume, so its volume is not used (``period.complete`` false,
a note says why) and only entered figures count. When volumes measured over the period
sit beside billing figures of another year (twelve rolling months), a note says which
periods meet in the indicators.

A volume for which the service has neither a figure nor a meter counts as 0 (no import,
no export…), except the billed consumption V7, without which nothing is computed.

The report also lists the leaks repaired over the period and what their early detection
saved (``repaired_leaks``), with each service's totals.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from sqlalchemy import Connection, select

from ...core.access import TenantScope
from ...core.clock import midnight_ms, now_ms
from ...core.errors import Invalid
from ...core.registry import Registry
from ...core.settings import setting
from ...storage import schema
from .annual_volumes import FIELDS, SERVICE_KIND, parse_year, stored_years
from .indicators import DEFAULT_ILP_GRID, GRID_SOURCE, Volumes, grid_errors, indicator_set
from .metered_volumes import MeterVolume, meter_volumes
from .repaired_leaks import repaired_leaks, totals
from .settings import ILP_GRID

DISCREPANCY = 0.05  # entered and metered volumes differing by more than this are pointed out
# Volume field -> meter role that measures it.
METERED_BY = {"produced_m3": "production", "imported_m3": "import", "exported_m3": "export"}
BILLING_ONLY = ("metered_consumption_m3", "unmetered_consumption_m3", "service_volume_m3")
SOURCE_LABELS = {"entered": "saisie", "previous_entry": "saisie d'une année antérieure",
                 "meters": "compteurs", "sectors": "somme des secteurs", "none": "aucun"}
LABELS = {f.name: f.label for f in FIELDS}


@dataclass(frozen=True)
class Period:
    start: int  # epoch ms, a local midnight
    end: int
    year: int | None  # None for the last twelve months
    label: str  # French
    billing_year: int  # latest whole year whose billing figures may stand for the period


def year_period(year: int, tz: ZoneInfo) -> Period:
    return Period(midnight_ms(date(year, 1, 1), tz), midnight_ms(date(year + 1, 1, 1), tz), year,
                  f"année {year}", year)


def rolling_period(now: int, tz: ZoneInfo) -> Period:
    """The 365 whole local days ending last midnight."""
    today = datetime.fromtimestamp(now / 1000, tz).date()
    first = today - timedelta(days=365)
    return Period(midnight_ms(first, tz), midnight_ms(today, tz), None,
                  f"12 mois glissants du {first:%d/%m/%Y} au "
                  f"{today - timedelta(days=1):%d/%m/%Y}", today.year - 1)


def parse_period(year: str | None, rolling: str | None, tz: ZoneInfo,
                 now: int | None = None) -> Period:
    if (year is None) == (rolling is None):
        raise Invalid("Indiquez soit « year » (année civile), soit « rolling=12m ».",
                      errors=[{"field": "year", "message": "year=AAAA ou rolling=12m"}])
    if rolling is not None:
        if rolling != "12m":
            raise Invalid(f"Période glissante « {rolling[:20]} » inconnue.",
                          errors=[{"field": "rolling", "message": "seule valeur : 12m"}])
        return rolling_period(now or now_ms(), tz)
    return year_period(parse_year(year), tz)


def ilp_grid(scope: TenantScope, registry: Registry) -> tuple[dict[str, Any], list[str]]:
    """The tenant's rating grid, or the default one (with a French note) if unusable."""
    if ILP_GRID not in registry.settings:
        return DEFAULT_ILP_GRID, []
    grid = setting(scope.settings, registry, ILP_GRID)
    errors = grid_errors(grid)
    if errors:
        return DEFAULT_ILP_GRID, ["Grille de notation du territoire inutilisable ("
                                  + "; ".join(f"{e['field']} : {e['message']}" for e in errors)
                                  + ") : grille par défaut appliquée."]
    return grid, []


# -- the network of each service ------------------------------------------------------------
@dataclass
class ServiceNetwork:
    row: Any
    sectors: list[Any]
    meters: dict[str, list[Any]]  # role -> meter rows


def _networks(scope: TenantScope, conn: Connection) -> list[ServiceNetwork]:
    a = schema.assets
    rows = list(conn.execute(
        select(a.c.id, a.c.ref, a.c.name, a.c.kind, a.c.parent_id, a.c.commune_insee,
               a.c.properties)
        .where(scope.asset_visible(),
               a.c.kind.in_((SERVICE_KIND, "water.sector", "water.meter")))
        .order_by(a.c.id)))
    children: dict[int, list[Any]] = defaultdict(list)
    for r in rows:
        if r.parent_id is not None:
            children[r.parent_id].append(r)
    out = []
    for service in (r for r in rows if r.kind == SERVICE_KIND):
        network = ServiceNetwork(service, [], defaultdict(list))
        todo, seen = list(children[service.id]), {service.id}
        while todo:
            r = todo.pop()
            if r.id in seen:
                continue
            seen.add(r.id)
            if r.kind == "water.sector":
                network.sectors.append(r)
            elif r.kind == "water.meter":
                role = orjson.loads(r.properties).get("role")
                network.meters[role].append(r)
            todo += children[r.id]
        out.append(network)
    return out


def _props(row: Any) -> dict[str, Any]:
    return orjson.loads(row.properties)


# -- one service ---------------------------------------------------------------------------
def _metered(meters: list[Any], volumes: dict[int, MeterVolume]) -> dict[str, Any] | None:
    """Sum of some meters' volumes; value None when one of them lacks data."""
    if not meters:
        return None
    found = [volumes.get(m.id) for m in meters]
    coverage = min((v.coverage if v else 0.0) for v in found)
    complete = all(v is not None and v.volume_m3 is not None for v in found)
    return {"value": sum(v.volume_m3 for v in found) if complete else None,  # type: ignore[union-attr]
            "coverage": round(coverage, 3), "meters": [m.ref for m in meters]}


def _entered(years: dict[str, dict[str, Any]], period: Period, name: str
             ) -> tuple[Any, int | None]:
    """(value, year it comes from) of an entered figure for the period."""
    if period.year is not None:
        return years.get(str(period.year), {}).get(name), period.year
    # Twelve rolling months: the latest whole year entered before the period's end.
    for year in sorted(years, reverse=True):
        if int(year) <= period.billing_year and years[year].get(name) is not None:
            return years[year][name], int(year)
    return None, None


def _input(name: str, entered: Any, entered_year: int | None, metered: dict | None,
           period: Period, notes: list[str]) -> dict[str, Any]:
    item: dict[str, Any] = {"label": LABELS[name], "value": None, "source": "none",
                            "entered": entered, "metered": None}
    if metered is not None:
        item["metered"] = metered["value"]
        item["metered_coverage"] = metered["coverage"]
        item["meters"] = metered["meters"]
    use_meters = metered is not None and metered["value"] is not None
    if entered is not None and (period.year is not None or not use_meters):
        item["value"] = entered
        item["source"] = "entered" if entered_year == period.year else "previous_entry"
        if item["source"] == "previous_entry":
            item["entered_year"] = entered_year
            if metered is not None:
                notes.append(f"{LABELS[name]} : compteurs incomplets sur la période "
                             f"(couverture {metered['coverage'] * 100:.0f} %) ; saisie "
                             f"{entered_year} reprise.")
    elif use_meters:
        item["value"], item["source"] = metered["value"], "meters"
    elif metered is not None:
        notes.append(f"{LABELS[name]} : compteurs incomplets sur la période (couverture "
                     f"{metered['coverage'] * 100:.0f} %) et aucune saisie.")
    else:
        item["value"] = 0.0 if name != "metered_consumption_m3" else None
    if (entered is not None and use_meters and metered["value"] > 0
            and abs(entered - metered["value"]) > DISCREPANCY * metered["value"]):
        notes.append(f"{LABELS[name]} : la saisie ({entered:,.0f} m³) et les compteurs "
                     f"({metered['value']:,.0f} m³) diffèrent de plus de "
                     f"{DISCREPANCY * 100:.0f} %.".replace(",", " "))
    item["source_label"] = SOURCE_LABELS[item["source"]]
    return item


def service_indicators(network: ServiceNetwork, period: Period,
                       volumes: dict[int, MeterVolume], grid: dict[str, Any],
                       commune_names: dict[str, str]) -> dict[str, Any]:
    row = network.row
    years = stored_years(_props(row))
    notes: list[str] = []
    inputs: dict[str, dict[str, Any]] = {}
    for name in ("produced_m3", "imported_m3", "exported_m3", *BILLING_ONLY):
        role = METERED_BY.get(name)
        metered = _metered(network.meters.get(role, []), volumes) if role else None
        entered, entered_year = _entered(years, period, name)
        inputs[name] = _input(name, entered, entered_year, metered, period, notes)
    zre_meters = [m for m in network.meters.get("production", []) if _props(m).get("in_zre")]
    entered, entered_year = _entered(years, period, "zre_abstraction_m3")
    inputs["zre_abstraction_m3"] = _input("zre_abstraction_m3", entered, entered_year,
                                          _metered(zre_meters, volumes), period, notes)
    sector_length = sum(float(_props(s).get("mains_length_km") or 0) for s in network.sectors)
    entered, entered_year = _entered(years, period, "mains_length_km")
    length = {"label": LABELS["mains_length_km"], "entered": entered,
              "sectors": round(sector_length, 3)}
    if entered is not None:
        length.update(value=entered, source="entered" if entered_year == period.year
                      else "previous_entry")
    else:
        length.update(value=sector_length or None, source="sectors" if sector_length else "none")
    length["source_label"] = SOURCE_LABELS[length["source"]]
    inputs["mains_length_km"] = length

    inlets = _metered(network.meters.get("sector_inlet", []), volumes)
    outlets = _metered(network.meters.get("sector_outlet", []), volumes)
    sectorised = None
    if inlets is not None and inlets["value"] is not None and (
            outlets is None or outlets["value"] is not None):
        sectorised = inlets["value"] - (outlets["value"] if outlets else 0.0)

    metered_used = [LABELS[n] for n, item in inputs.items() if item.get("source") == "meters"]
    earlier = sorted({item["entered_year"] for item in inputs.values()
                      if item.get("source") == "previous_entry" and item.get("entered_year")})
    if metered_used and earlier:
        notes.append(f"Périodes différentes : {', '.join(metered_used)} mesuré(s) sur la "
                     f"période ({period.label}), les autres volumes saisis pour "
                     f"{', '.join(map(str, earlier))} (facturation annuelle).")
    missing = [LABELS[n] for n, item in inputs.items()
               if item["value"] is None and n != "mains_length_km"]
    result: dict[str, Any] = {
        "service_id": row.id, "ref": row.ref, "name": row.name, "commune": row.commune_insee,
        "commune_name": commune_names.get(row.commune_insee or ""),
        "sectors": len(network.sectors),
        "population_served": sum(int(_props(s).get("population_served") or 0)
                                 for s in network.sectors),
        "inputs": inputs,
        "sector_inflow_m3": sectorised,
        "indicators": None, "missing": missing, "notes": notes,
    }
    if missing:
        notes.append("Indicateurs non calculés : " + ", ".join(missing) + " manquant(s).")
        return result
    v = Volumes(produced=inputs["produced_m3"]["value"], imported=inputs["imported_m3"]["value"],
                exported=inputs["exported_m3"]["value"],
                metered_consumption=inputs["metered_consumption_m3"]["value"],
                unmetered_consumption=inputs["unmetered_consumption_m3"]["value"],
                service_volume=inputs["service_volume_m3"]["value"],
                mains_length_km=length["value"])
    if v.mains_length_km is None:
        notes.append("Linéaire de réseau inconnu : ILP, ILVNC et ILC non calculés.")
    result["indicators"] = indicator_set(v, inputs["zre_abstraction_m3"]["value"], grid)
    if result["indicators"]["volumes"]["losses_m3"] < 0:
        notes.append("Consommation autorisée supérieure au volume mis en distribution : "
                     "vérifiez les volumes saisis.")
    return result


def tenant_indicators(scope: TenantScope, conn: Connection, registry: Registry,
                      period: Period, commune: str | None = None,
                      now: int | None = None) -> dict[str, Any]:
    """The indicators of every water service the caller sees (optionally of one commune);
    ``now`` (epoch ms) tells whether the period is over."""
    scope.require("read")
    networks = [n for n in _networks(scope, conn)
                if commune is None or n.row.commune_insee == commune]
    roles = ("production", "import", "export", "sector_inlet", "sector_outlet")
    meter_ids = [m.id for n in networks for role in roles for m in n.meters.get(role, [])]
    volumes = meter_volumes(scope, conn, meter_ids, period.start, period.end)
    grid, grid_notes = ilp_grid(scope, registry)
    c = schema.communes
    names = {r.insee: r.name for r in conn.execute(
        select(c.c.insee, c.c.name).where(scope.commune_visible()))}
    now = now_ms() if now is None else now
    complete = period.end <= now
    notes = list(grid_notes)
    if not complete:
        # A period not over: what meters measured so far is not the period's volume.
        volumes = {i: MeterVolume(i, None, v.coverage, v.source) for i, v in volumes.items()}
        notes.append(f"{period.label[0].upper()}{period.label[1:]} en cours : les compteurs ne "
                     "couvrent pas encore toute la période, leurs volumes ne sont pas "
                     "utilisés ; seuls les volumes saisis comptent.")
    repairs = repaired_leaks(scope, conn, registry, period.start, period.end, commune)
    services = []
    for n in networks:
        service = service_indicators(n, period, volumes, grid, names)
        sectors = {s.id for s in n.sectors}
        service["repaired_leaks"] = totals([i for i in repairs["items"]
                                            if i["sector"]["id"] in sectors],
                                           repairs["price_eur_m3"])
        services.append(service)
    services.sort(key=lambda s: (s["commune_name"] or "", s["ref"]))
    below = [s for s in services
             if s["indicators"] and s["indicators"]["decree"]["compliant"] is False]
    return {
        "period": {"year": period.year, "label": period.label,
                   "start": _iso_day(period.start, scope), "end": _iso_day(period.end, scope),
                   "complete": complete},
        "grid": {"values": grid, "source": GRID_SOURCE if grid is DEFAULT_ILP_GRID
                 else "Grille du territoire (paramètre water.ilp_grid)."},
        "notes": notes,
        "services": services,
        "repaired_leaks": repairs,
        "summary": {"services": len(services),
                    "computed": sum(1 for s in services if s["indicators"]),
                    "below_decree_threshold": [s["ref"] for s in below]},
    }


def _iso_day(ms: int, scope: TenantScope) -> str:
    tz = scope.zone
    return datetime.fromtimestamp(ms / 1000, tz).date().isoformat()
