"""What a domain (or core) declares to run periodic work: ``Job``, run once per period by
the scheduler of ``beffroi serve`` whatever the number of processes (``scheduler.py``).

Declarations only, light to import.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..storage.database import Database
    from .registry import Registry

# (database, registry, now in ms) -> None
JobFunction = Callable[["Database", "Registry", int], None]


@dataclass(frozen=True)
class Job:
    name: str  # unique, dotted with its domain or core part: "alerting.no_data"
    interval_s: float
    run: JobFunction
    ttl_s: float = 300.0  # longest expected run; another process may take over after it
