"""What a domain declares to add its key figures to the home dashboard (``Domain.kpis``).

Declarations only, light to import; ``dashboard.py`` computes them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from .access import TenantScope
    from .registry import Registry


@dataclass(frozen=True)
class KpiContext:
    """What a KPI's computation may use: the caller's view of one tenant."""

    scope: TenantScope
    conn: Connection
    registry: Registry
    now: int  # ms


@dataclass(frozen=True)
class Kpi:
    """A key figure of a domain: ``compute(context)`` returns a number in ``unit``, or None
    when it cannot be computed yet."""

    key: str  # dotted with its domain: "lighting.night_cut_savings"
    label: str  # French
    unit: str  # UCUM, or "%"
    compute: Callable[[KpiContext], float | None]
    metrics: tuple[str, ...] = ()  # the metrics it reads (checked to exist at start)
