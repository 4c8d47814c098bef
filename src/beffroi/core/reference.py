"""Official reference data shipped in the package (COG via Etalab, IGN Admin Express)."""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import Any

import orjson


@cache
def epci_index() -> dict[str, dict[str, Any]]:
    """The EPCI of the Grand Est region by SIREN, with their member communes."""
    raw = files("beffroi.data").joinpath("grand-est-epci.json").read_bytes()
    return {e["siren"]: e for e in orjson.loads(raw)}


def epci(siren: str) -> dict[str, Any] | None:
    return epci_index().get(siren)


def demonstrator_boundaries() -> dict[str, Any]:
    """GeoJSON FeatureCollection of the demonstrator communes (property ``code`` = INSEE)."""
    raw = files("beffroi.data").joinpath("demonstrator-communes.geojson").read_bytes()
    return orjson.loads(raw)
