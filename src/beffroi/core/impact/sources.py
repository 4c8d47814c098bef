"""What a domain declares to report its impact for a period (``Domain.impacts``).

An ``ImpactSource`` names a function ``compute(context) -> DomainImpact``: for the period
and communes of the ``ImpactContext`` it gives what the domain saved — energy (kWh), cost
(€), emissions (kg CO2e), water (m³) — against a documented baseline, with its method, its
data coverage and, for each figure, whether it is measured, estimated or assumed. Figures
that do not add up (alerts sent ahead of a flood, hours of darkness restored) are
``ImpactCount`` entries. A figure that cannot be computed is None, with the reason in the
coverage text: never a wrong number.

A source may also declare the site visits its data replaces (``FieldTrip``: a manual meter
reading replaced by telemetry…) and count them in ``DomainImpact.trips``; core turns them
into km, hours, € and kg CO2e with the territory's settings (``field_trips``).

Declarations only, light to import (standard library): ``beffroi.plugin`` re-exports them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from ..access import TenantScope
    from ..registry import Registry

Quality = Literal["measured", "estimated", "assumed"]
QUALITIES: tuple[Quality, ...] = ("measured", "estimated", "assumed")
QUALITY_LABELS = {"measured": "mesuré", "estimated": "estimé", "assumed": "hypothèse"}
FIGURES = ("kwh", "eur", "kgco2e", "m3")


@dataclass(frozen=True)
class ImpactContext:
    """The period and communes a report covers, as the caller sees the territory.

    ``start`` and ``end`` are local days, both included. ``communes`` is the filter already
    intersected with the caller's scope (None: every commune the scope sees, assets without
    commune included). ``settings`` holds every setting of the territory, defaults included
    (core's ``impact.*`` ones and the domains').
    """

    scope: TenantScope
    conn: Connection
    registry: Registry
    start: date
    end: date
    communes: tuple[str, ...] | None
    settings: Mapping[str, Any]

    @property
    def tz(self) -> ZoneInfo:
        return self.scope.zone

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def midnight_ms(self, day: date) -> int:
        """Epoch ms of the local midnight starting ``day``."""
        return int(datetime(day.year, day.month, day.day, tzinfo=self.tz).timestamp() * 1000)

    @property
    def start_ms(self) -> int:
        return self.midnight_ms(self.start)

    @property
    def end_ms(self) -> int:
        """Epoch ms of the local midnight ending the period (excluded)."""
        return self.midnight_ms(self.end + timedelta(days=1))

    def months(self) -> list[tuple[str, date, date]]:
        """("AAAA-MM", first day, last day) of each calendar month, clipped to the period."""
        out = []
        day = self.start
        while day <= self.end:
            following = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
            last = min(self.end, following - timedelta(days=1))
            out.append((day.strftime("%Y-%m"), day, last))
            day = following
        return out

    def covers(self, insee: str | None) -> bool:
        """Whether an asset of commune ``insee`` is in the report (the scope already
        leaves out what the caller may not see)."""
        return self.communes is None or insee in self.communes

    def setting(self, key: str) -> Any:
        return self.settings.get(key)


@dataclass(frozen=True)
class Figures:
    """Energy (kWh), cost (€), emissions (kg CO2e) and water (m³); None = not computed."""

    kwh: float | None = None
    eur: float | None = None
    kgco2e: float | None = None
    m3: float | None = None


@dataclass(frozen=True)
class ImpactItem:
    """One additive figure of a domain (its savings, the water its repairs saved…)."""

    key: str  # dotted with its domain: "lighting.savings"
    label: str  # French
    figures: Figures
    quality: Quality = "estimated"
    note: str | None = None  # French: what it rests on


@dataclass(frozen=True)
class ImpactCount:
    """A figure that does not add up with the others (alerts ahead of events, hours of
    darkness restored)."""

    key: str
    label: str  # French
    value: float | None
    unit: str | None = None  # French, as shown: "h", "alertes"
    note: str | None = None


@dataclass(frozen=True)
class MonthImpact:
    month: str  # "2026-01"
    figures: Figures


@dataclass(frozen=True)
class CommuneImpact:
    insee: str
    figures: Figures


@dataclass(frozen=True)
class Coverage:
    """How much of the domain the figures rest on: a share (0–1) when it means something,
    and always a French sentence ("12 armoires sur 14 mesurées…")."""

    share: float | None
    text: str


@dataclass(frozen=True)
class TripCount:
    """Site visits of a declared ``FieldTrip`` that the period's data replaced."""

    key: str  # a FieldTrip key of the same source
    trips: float


@dataclass(frozen=True)
class DomainImpact:
    """What ``ImpactSource.compute`` returns for the context's period and communes."""

    baseline: str  # French: what the figures are compared with
    method: str  # French: how they are computed
    coverage: Coverage
    quality: Quality  # the weakest of the items
    items: tuple[ImpactItem, ...] = ()
    counts: tuple[ImpactCount, ...] = ()
    monthly: tuple[MonthImpact, ...] = ()
    by_commune: tuple[CommuneImpact, ...] = ()
    trips: tuple[TripCount, ...] = ()
    settings: tuple[str, ...] = ()  # keys of the settings used (listed in the report)


@dataclass(frozen=True)
class FieldTrip:
    """A kind of site visit a domain's data replaces (a manual meter reading…), with its
    default distance and time per visit; a territory changes them per key in the setting
    ``impact.trips_by_action``."""

    key: str  # dotted with the domain: "water.meter_reading"
    label: str  # French
    km: float  # round trip, per visit
    hours: float  # per visit, travel included
    source: str = ""  # French: where the defaults come from


@dataclass(frozen=True)
class ImpactSource:
    """A domain's contribution to the impact report."""

    key: str  # dotted with its domain: "lighting.savings"
    label: str  # French
    compute: Callable[[ImpactContext], DomainImpact]
    trips: tuple[FieldTrip, ...] = ()  # the visits it counts in DomainImpact.trips


def total(values: list[float | None]) -> float | None:
    """Sum of the known values; None when none is known."""
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def add(*figures: Figures) -> Figures:
    """Figures added field by field (a field is None only when it is None everywhere)."""
    return Figures(*(total([getattr(f, name) for f in figures]) for name in FIGURES))


def weakest(qualities: list[Quality]) -> Quality:
    """measured < estimated < assumed: the weakest quality of a set of figures."""
    return max(qualities, key=QUALITIES.index) if qualities else "assumed"
