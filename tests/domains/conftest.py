"""Demo communes as the domains receive them, from the reference data shipped in the package."""

from __future__ import annotations

import numpy as np
import pytest
from shapely.geometry import shape

from beffroi.core.reference import demonstrator_boundaries, epci
from beffroi.core.registry import DemoCommune

SIREN = "200068377"


@pytest.fixture(scope="session")
def communes() -> dict[str, DemoCommune]:
    boundaries = {f["properties"]["code"]: f["geometry"]
                  for f in demonstrator_boundaries()["features"]}
    out = {}
    for c in epci(SIREN)["communes"]:
        p = shape(boundaries[c["insee"]]).representative_point()
        out[c["insee"]] = DemoCommune(c["insee"], c["name"], c["population"], p.x, p.y,
                                      boundaries[c["insee"]])
    return out


def _year_of(step_s: int, start: str = "2025-01-01T00:00:00") -> np.ndarray:
    """Epoch seconds of one year (2025, not a leap year) at ``step_s``."""
    t0 = np.datetime64(start, "s").astype(np.int64)
    return np.arange(t0, t0 + 365 * 86400, step_s, dtype=np.float64)


@pytest.fixture(scope="session")
def year_of():
    return _year_of
