"""Degree days (DJU) from daily minimum and maximum temperatures, and the climate correction
of a building's heating consumption.

Two daily methods, base S (18 °C by default), Tn and Tx the day's minimum and maximum:

- **« Météo »**: DJ = max(0, S − (Tn + Tx)/2). Source: Météo-France, « Fiche méthode
  Degrés Jours » (climathèque, DJC-methode.pdf, 2005); the same formula is the one
  data.gouv.fr's Météo-France station series state (« DJU = 18 − (TN+TX)/2, DJU = 0 si le
  calcul donne un résultat inférieur à 0 »).
- **COSTIC** (« méthode professionnels de l'énergie », the method the 2007 OEAP guide of
  public heating-operation contracts recommends, as COSTIC's own DJU page says):
  - S > Tx (the whole day below the base): DJ = S − (Tn + Tx)/2;
  - S ≤ Tn (the whole day above it): DJ = 0;
  - Tn < S ≤ Tx (mid-season): DJ = (S − Tn) × (0,08 + 0,42 × (S − Tn) / (Tx − Tn)).
  Sources: Météo-France's fiche above (its « professionnels de l'énergie » section), the
  French Wikipedia article « Degré jour unifié » (method « conforme à la méthode Costic »),
  and the public implementations found in the search corpus, which all agree on the three
  cases and the 0,08 / 0,42 coefficients. COSTIC's own document is paid (« DJU par
  abonnement »): not read, hence « à vérifier » against it.

Monthly and yearly sums add the daily values of the days present; a period reports how
many days it has, so that a missing day shows.

Temperatures of a building: its ``weather_station_ref`` names an asset of the tenant (a
``risks.weather_station`` or any asset) whose ``air.temperature`` stream gives Tn and Tx
as the min and max of core's daily rollups (local days of the tenant). The station is
found by ref among all the tenant's assets (climate data, not commune-restricted: a
commune-restricted user sees the degree days of a building they see even when the station
sits in another commune). A daily series from elsewhere (Météo-France's open data, a
COSTIC subscription) is imported with ``beffroi buildings import-temperatures``: each
day becomes two readings of the station's temperature stream (Tn at 05:00 and Tx at 15:00
local time), so the daily rollups give them back as min and max.

**Climate correction** (décret tertiaire; arrêté of 10 April 2020 for the principle, the
generic form from the project's notes, « à vérifier » against OPERAT's own method):
C_corrected = C − C_heating + C_heating × DJU_ref / DJU_year, with C_heating the heating
share of the year's consumption: the building's ``heating_share_pct`` of its total, else
``DEFAULT_HEATING_SHARE_PCT`` of the consumption of its heating energy (the ``heating``
property; none without it). DJU_ref is the tenant setting ``buildings.dju_reference``
(normal DJU of the reference station over ``buildings.dju_reference_period``, same method
and base as ``buildings.dju_method`` / ``buildings.dju_base_c``).
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import time
from typing import Any

from sqlalchemy import Connection, and_, select

from ...core.access import TenantScope
from ...core.day_temperatures import DayTemperatures
from ...storage import schema
from .kinds import HEATING_ENERGY
from .settings import DJU_BASE, DJU_METHOD, DJU_REFERENCE, DJU_REFERENCE_PERIOD, tenant_value

METEO, COSTIC = "meteo", "costic"
METHODS = (METEO, COSTIC)
METHOD_LABELS = {METEO: "Météo", COSTIC: "COSTIC (professionnels de l'énergie)"}
DEFAULT_BASE_C = 18.0
MIN_YEAR_COVERAGE = 0.9  # a year's DJU need temperatures on 90 % of its days
TEMPERATURE = "air.temperature"
TN_CLOCK, TX_CLOCK = time(5, 0), time(15, 0)  # where an imported day's Tn and Tx are stored
# Share of the heating energy's consumption used for heating when the building has no
# ``heating_share_pct`` (« à vérifier »: the rest is hot water, cooking, other uses; an
# electric or heat-pump building's electricity also serves lighting and appliances).
DEFAULT_HEATING_SHARE_PCT = {"gaz": 85.0, "fioul": 90.0, "bois": 90.0, "reseau_chaleur": 85.0,
                             "propane": 85.0, "electrique": 50.0, "pompe_a_chaleur": 35.0}


def daily(tmin_c: float, tmax_c: float, base_c: float = DEFAULT_BASE_C,
          method: str = METEO) -> float:
    """Degree days of one day (see the module docstring for both methods)."""
    if method == METEO:
        return max(0.0, base_c - (tmin_c + tmax_c) / 2)
    if method == COSTIC:
        if base_c > tmax_c:
            return base_c - (tmin_c + tmax_c) / 2
        if base_c <= tmin_c:
            return 0.0
        return (base_c - tmin_c) * (0.08 + 0.42 * (base_c - tmin_c) / (tmax_c - tmin_c))
    raise ValueError(f"méthode « {method} » inconnue (meteo ou costic)")


def by_month(days: Iterable[DayTemperatures], base_c: float = DEFAULT_BASE_C,
             method: str = METEO) -> dict[str, tuple[float, int]]:
    """{"YYYY-MM": (DJU, days with temperatures)} in month order."""
    out: dict[str, list[float]] = defaultdict(lambda: [0.0, 0])
    for d in days:
        cell = out[f"{d.day.year}-{d.day.month:02d}"]
        cell[0] += daily(d.tmin_c, d.tmax_c, base_c, method)
        cell[1] += 1
    return {k: (v[0], int(v[1])) for k, v in sorted(out.items())}


def by_year(days: Iterable[DayTemperatures], base_c: float = DEFAULT_BASE_C,
            method: str = METEO) -> dict[int, tuple[float, int]]:
    """{year: (DJU, days with temperatures)}."""
    out: dict[int, list[float]] = defaultdict(lambda: [0.0, 0])
    for d in days:
        out[d.day.year][0] += daily(d.tmin_c, d.tmax_c, base_c, method)
        out[d.day.year][1] += 1
    return {k: (v[0], int(v[1])) for k, v in sorted(out.items())}


@dataclass(frozen=True)
class DjuSettings:
    method: str
    base_c: float
    reference: float | None  # normal DJU of the reference period
    reference_period: str

    def public(self) -> dict[str, Any]:
        return {"method": self.method, "method_label": METHOD_LABELS[self.method],
                "base_c": self.base_c, "reference": self.reference,
                "reference_period": self.reference_period}


def tenant_dju(stored: Mapping[str, Any]) -> DjuSettings:
    method = tenant_value(dict(stored), DJU_METHOD)
    return DjuSettings(method if method in METHODS else METEO,
                       float(tenant_value(dict(stored), DJU_BASE)),
                       tenant_value(dict(stored), DJU_REFERENCE),
                       str(tenant_value(dict(stored), DJU_REFERENCE_PERIOD)))


def station_stream(scope: TenantScope, conn: Connection, station_ref: str | None) -> Any:
    """The ``air.temperature`` stream (id, asset id, asset name) of the tenant's asset whose
    ref is ``station_ref``; None when there is none."""
    if not station_ref:
        return None
    a, s = schema.assets, schema.streams
    return conn.execute(
        select(s.c.id, a.c.id.label("asset_id"), a.c.name, a.c.ref)
        .join(a, and_(a.c.tenant_id == s.c.tenant_id, a.c.id == s.c.asset_id))
        .where(scope.owns(a), a.c.ref == station_ref, s.c.metric == TEMPERATURE)
        .order_by(s.c.id)).first()


def year_dju(days: list[DayTemperatures], year: int, settings: DjuSettings
             ) -> float | None:
    """The year's DJU when temperatures cover ``MIN_YEAR_COVERAGE`` of its days (the
    missing days are not estimated: None below)."""
    found = by_year((d for d in days if d.day.year == year), settings.base_c,
                    settings.method).get(year)
    span = 366 if calendar.isleap(year) else 365
    if not found or found[1] < MIN_YEAR_COVERAGE * span:
        return None
    return found[0]


def heating_kwh(properties: Mapping[str, Any], total_kwh: float,
                per_energy: Mapping[str, float | None]) -> tuple[float, str]:
    """(kWh used for heating, how it was obtained, French) of a year's consumption."""
    share = properties.get("heating_share_pct")
    if isinstance(share, int | float) and not isinstance(share, bool) and 0 <= share <= 100:
        return total_kwh * share / 100, f"{share:g} % de la consommation (part saisie)"
    heating = properties.get("heating")
    energy = HEATING_ENERGY.get(heating) if isinstance(heating, str) else None
    if energy is None:
        return 0.0, "énergie de chauffage non renseignée : pas de correction"
    default = DEFAULT_HEATING_SHARE_PCT[heating]
    return ((per_energy.get(energy) or 0.0) * default / 100,
            f"{default:g} % de la consommation de {energy} (part par défaut, à vérifier)")


def corrected(total_kwh: float, heating: float, dju_reference: float | None,
              dju_year: float | None) -> float | None:
    """C − C_heating + C_heating × DJU_ref / DJU_year; None without both DJU."""
    if dju_reference is None or not dju_year:
        return None
    return total_kwh - heating + heating * dju_reference / dju_year


def month_days(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]
