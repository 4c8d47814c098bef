"""What a domain declares to add its key figures to the home dashboard (``Domain.kpis``).

Declarations only, light to import; ``dashboard.py`` computes them.

A KPI's ``compute(context)`` returns a number in the KPI's unit (or None when it cannot be
computed yet), or a ``KpiValue``: the number with what it is compared with
(``KpiComparison``: the expected value, the same days last year, a threshold…), a status,
a short French note on what it covers and a link to the page that details it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from .access import TenantScope
    from .registry import Registry

KpiStatus = Literal["ok", "warning", "critical"]
KPI_STATUSES = ("ok", "warning", "critical")


@dataclass(frozen=True)
class KpiContext:
    """What a KPI's computation may use: the caller's view of one tenant.

    ``scope`` is already narrowed to the communes asked for (``communes``: the filter of
    the request intersected with the caller's communes, None for everything the caller
    sees), so that the domain's scoped functions count only those."""

    scope: TenantScope
    conn: Connection
    registry: Registry
    now: int  # ms
    communes: tuple[str, ...] | None = None

    @property
    def zone(self) -> ZoneInfo:
        """The tenant's time zone."""
        return self.scope.zone

    @property
    def today(self) -> date:
        """The local date of ``now`` in the tenant's time zone."""
        return datetime.fromtimestamp(self.now / 1000, self.zone).date()

    def month_so_far(self) -> tuple[date, date]:
        """The whole days of the month so far: the 1st to yesterday (today is not over);
        on the 1st, the whole month before."""
        yesterday = self.today - timedelta(days=1)
        return yesterday.replace(day=1), yesterday


@dataclass(frozen=True)
class KpiComparison:
    """What a KPI's value is set against: ``label`` (French: "attendu", "seuil jaune"),
    ``value`` (None: not available), in ``unit`` (the KPI's when None).

    The dashboard gives its ``delta_share`` = KPI value / ``value`` − 1, unless the KPI
    gives its own (``delta_share``: when it compares like for like on a part of what its
    value covers, e.g. the days measured both years) or the ratio means nothing
    (``relative=False``: a temperature, a river level against a threshold)."""

    label: str
    value: float | None
    unit: str | None = None
    delta_share: float | None = None
    relative: bool = True


@dataclass(frozen=True)
class KpiValue:
    """A KPI's value with its comparisons, ``status`` (None: no judgement), a short French
    ``note`` (coverage, date…) and a ``link`` (a page path; the KPI's own when None)."""

    value: float | None
    comparisons: tuple[KpiComparison, ...] = ()
    status: KpiStatus | None = None
    note: str | None = None
    link: str | None = None


@dataclass(frozen=True)
class Kpi:
    """A key figure of a domain: ``compute(context)`` returns a number in ``unit`` (or None
    when it cannot be computed yet), or a ``KpiValue``.

    Values are cached per tenant and view (``core.dashboard_cache``): recomputed when the
    assets seen or the tenant's settings change, when its alerts change unless
    ``uses_alerts`` is False (a value that never reads them), and at the latest
    ``max_age_s`` seconds after they were computed (what the observations arriving since
    change)."""

    key: str  # dotted with its domain: "lighting.night_cut_savings"
    label: str  # French
    unit: str  # UCUM, or "%"
    compute: Callable[[KpiContext], float | KpiValue | None]
    metrics: tuple[str, ...] = ()  # the metrics it reads (checked to exist at start)
    link: str | None = None  # the page that details it ("/eclairage"), if any
    max_age_s: int = 60
    uses_alerts: bool = True
