"""What a domain declares to detect problems: ``Detector`` (run by the scheduler), the
``Finding`` objects it returns, the ``DetectorContext`` it receives, and the
``DetailField`` declarations of its findings' details.

Declarations only, light to import (``beffroi.plugin`` re-exports them): running detectors
is ``detectors.py``, writing details in French is ``details.py``. The registry checks every
declaration once, at start (``core.registration``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from ...storage.database import Database
    from ..access import TenantScope
    from ..registry import Registry

DetailKind = Literal["number", "percent", "instant", "date", "duration", "choice", "metric",
                     "state", "text", "list"]
DETAIL_KINDS: tuple[str, ...] = ("number", "percent", "instant", "date", "duration", "choice",
                                 "metric", "state", "text", "list")


@dataclass(frozen=True)
class DetailField:
    """One detail key of the alerts a detector or a rule raises."""

    key: str
    label: str  # French
    kind: DetailKind = "number"
    unit: str | None = None  # UCUM
    unit_from: str | None = None  # key of the detail that holds the unit (rules: "unit")
    digits: int = 2
    choices: Mapping[str, str] = field(default_factory=dict)  # kind "choice": code -> French
    shown: bool = True  # False: folded into others (a rule's "unit" goes with its values)

    def public(self) -> dict[str, Any]:
        return {"key": self.key, "label": self.label, "kind": self.kind, "unit": self.unit,
                "unit_from": self.unit_from, "digits": self.digits,
                "choices": dict(self.choices) or None, "shown": self.shown}


@dataclass(frozen=True)
class Finding:
    """A problem a detector sees now."""

    asset_id: int | None
    title: str  # French
    severity: str = "warning"
    subject: str = ""  # tells apart several findings on one asset
    details: dict[str, Any] = field(default_factory=dict)
    at: int | None = None  # time of the data that shows it (default: the run time)


@dataclass(frozen=True)
class DetectorContext:
    """What a detector run may use: a read-only view of one tenant."""

    db: Database
    conn: Connection
    scope: TenantScope
    registry: Registry
    now: int  # ms

    @property
    def tenant_id(self) -> int:
        return self.scope.tenant_id


@dataclass(frozen=True)
class Detector:
    """A periodic analysis of a domain (``Domain.detectors``), see ``detectors.py``."""

    key: str  # dotted with its domain: "water.night_flow_leak"
    label: str  # French
    interval_s: int
    run: Callable[[DetectorContext], Iterable[Finding]]
    renotify_after_s: int = 86_400
    details: tuple[DetailField, ...] = ()  # every key its findings' details may hold
    metrics: tuple[str, ...] = ()  # the metrics it reads (checked to exist at start)
