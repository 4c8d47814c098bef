"""A text property may declare the format of its values (``PropertySpec.pattern``): a value
that does not match is refused with the declared hint, whatever the way it comes (API,
CSV import as text), and the format is in the kind's JSON schema."""

from __future__ import annotations

import pytest

from beffroi.core.properties import kind_schema, validate_properties
from beffroi.core.registry import (
    AssetKind,
    Domain,
    PropertySpec,
    RegistryError,
    build_registry,
)

DAYS = PropertySpec("days", "string", "Jours", pattern=r"(lun|jeu)(,(lun|jeu))*",
                    pattern_hint="« lun », « jeu » ou « lun,jeu »")
KIND = AssetKind("bin.box", "Bac", properties=(DAYS,))


@pytest.mark.parametrize("from_text", [False, True])
def test_a_value_out_of_format_is_refused_with_the_hint(from_text):
    assert validate_properties(KIND, {"days": "lun,jeu"}, from_text=from_text) == (
        {"days": "lun,jeu"}, [])
    clean, errors = validate_properties(KIND, {"days": "lundi"}, from_text=from_text)
    assert clean == {}
    assert errors == [{"field": "properties.days", "message":
                       "« lundi » ne respecte pas le format attendu : « lun », « jeu » ou "
                       "« lun,jeu »"}]
    # The whole value must match, not a part of it.
    assert validate_properties(KIND, {"days": "lun,jeudi"})[1] != []


def test_the_format_is_in_the_kinds_schema():
    days = kind_schema(KIND)["properties"]["days"]
    assert days["pattern"] == "^(?:(lun|jeu)(,(lun|jeu))*)$"
    # …and in French words, for the hint of a form's field (the asset's edit form).
    assert days["x-pattern-hint"] == "« lun », « jeu » ou « lun,jeu »"


@pytest.mark.parametrize("spec, fragment", [
    (PropertySpec("days", "string", "Jours", pattern="(lun"), "expression régulière invalide"),
    (PropertySpec("n", "number", "N", pattern="[0-9]+"), "ne s'applique qu'à une propriété texte"),
])
def test_a_wrong_format_is_refused_at_registration(spec, fragment):
    with pytest.raises(RegistryError, match=fragment):
        build_registry([Domain(key="bin", label="Bacs", asset_kinds=(
            AssetKind("bin.box", "Bac", properties=(spec,)),))])
