"""Map colourings (``MapStyle``) by a property or by a metric's latest value, checked at
registration."""

from __future__ import annotations

import pytest

from beffroi.core.registry import (
    AssetKind,
    Domain,
    MapClass,
    MapStyle,
    Metric,
    RegistryError,
    build_registry,
)

FULL = (MapClass("Plein", "#ce0500", maximum=None),)
KIND = AssetKind("bin.box", "Bac", metrics=("bin.fill",))
FILL = Metric("bin.fill", "Remplissage", "%", minimum=0, maximum=100)


def domain(*styles: MapStyle) -> Domain:
    return Domain(key="bin", label="Bacs", asset_kinds=(KIND,), metrics=(FILL,),
                  map_styles=styles)


def test_a_style_by_metric_is_registered_with_what_the_map_needs():
    style = MapStyle("bin.fill", "Remplissage", ("bin.box",), metric="bin.fill", classes=FULL,
                     unit="%", max_age_s=86_400, missing="Pas de mesure récente")
    registry = build_registry([domain(style)])
    assert registry.domains["bin"].map_styles == (style,)


@pytest.mark.parametrize("style, fragment", [
    (MapStyle("bin.fill", "R", ("bin.box",), metric="bin.level", classes=FULL),
     r"map_styles\[0\]\.metric\) : mesure inconnue « bin\.level »"),
    (MapStyle("bin.fill", "R", ("bin.box",), "fill", FULL, metric="bin.fill"),
     "une propriété \\(property\\) ou une mesure \\(metric\\) attendue, l'une des deux seulement"),
    (MapStyle("bin.fill", "R", ("bin.box",), classes=FULL),
     "une propriété \\(property\\) ou une mesure \\(metric\\) attendue"),
    (MapStyle("bin.fill", "R", ("bin.box",), metric="bin.fill"), r"map_styles\[0\]\.classes\) : au moins une classe attendue"),
])
def test_a_wrong_style_is_refused_at_registration(style, fragment):
    with pytest.raises(RegistryError, match=fragment):
        build_registry([domain(style)])
