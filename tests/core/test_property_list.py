"""A property may be a list of entries (``PropertySpec`` of type ``list`` with its
``entry_fields``) with checks of its own (``check``): each entry is checked field by field,
then the whole by the check, errors named down to the entry's field; the kind's JSON schema
says it is an array of such objects."""

from __future__ import annotations

import pytest

from beffroi.core.properties import kind_schema, validate_properties
from beffroi.core.registry import AssetKind, Domain, PropertySpec, build_registry

CALLS: list = []


def _no_overlap(value: list) -> list[dict[str, str]]:
    CALLS.append(value)
    ends = [e["to"] for e in value]
    return [{"field": f"[{i}].from", "message": "chevauche la précédente"}
            for i, e in enumerate(value[1:], 1) if e["from"] < ends[i - 1]]


SLOTS = PropertySpec("slots", "list", "Créneaux", entry_label="Créneau", check=_no_overlap,
                     entry_fields=(PropertySpec("from", "integer", "Début", required=True,
                                                minimum=0, maximum=24),
                                   PropertySpec("to", "integer", "Fin", required=True),
                                   PropertySpec("note", "string", "Note")))
KIND = AssetKind("bin.box", "Bac", properties=(SLOTS,))


def test_valid_entries_pass_and_empty_optional_fields_are_left_out():
    CALLS.clear()
    value = [{"from": 1, "to": 3, "note": None}, {"from": 5, "to": 6, "note": "nuit"}]
    assert validate_properties(KIND, {"slots": value}) == (
        {"slots": [{"from": 1, "to": 3}, {"from": 5, "to": 6, "note": "nuit"}]}, [])
    assert len(CALLS) == 1


def test_each_entry_is_checked_field_by_field_before_the_check():
    CALLS.clear()
    clean, errors = validate_properties(KIND, {"slots": [
        {"from": 30, "to": 3}, "midi", {"to": 2, "colour": "bleu"}]})
    assert clean == {}
    assert errors == [
        {"field": "properties.slots[0].from", "message": "Début : 30 est supérieur au maximum 24"},
        {"field": "properties.slots[1]", "message": "objet attendu, reçu « midi » (texte)"},
        {"field": "properties.slots[2].colour",
         "message": "champ inconnu (attendus : from, to, note)"},
        {"field": "properties.slots[2].from", "message": "obligatoire (Début)"}]
    assert CALLS == []  # the check only sees entries of the declared shape


def test_the_check_names_the_entry():
    clean, errors = validate_properties(KIND, {"slots": [{"from": 1, "to": 5},
                                                         {"from": 4, "to": 6}]})
    assert errors == [{"field": "properties.slots[1].from", "message": "chevauche la précédente"}]
    assert validate_properties(KIND, {"slots": {"from": 1}})[1] == [
        {"field": "properties.slots", "message": "tableau JSON attendu, reçu « {\"from\":1} » (objet)"}]


@pytest.mark.parametrize("text, ok", [('[{"from": 1, "to": 2}]', True), ("[1,", False),
                                      ('{"from": 1}', False)])
def test_a_list_comes_as_json_text_from_a_csv_file(text, ok):
    clean, errors = validate_properties(KIND, {"slots": text}, from_text=True)
    assert (errors == []) is ok
    if ok:
        assert clean == {"slots": [{"from": 1, "to": 2}]}


def test_a_list_cell_naming_a_key_twice_is_refused_naming_it():
    text = '[{"from": 1, "to": 2}, {"from": 3, "to": 4, "to": 9}]'
    clean, errors = validate_properties(KIND, {"slots": text}, from_text=True)
    assert clean == {}
    assert errors == [{"field": "properties.slots", "message": f"« {text} » illisible : JSON "
                       "ambigu : clé « to » en double dans l'objet n° 1"}]


def test_the_schema_is_an_array_of_objects_and_the_declaration_is_accepted():
    schema = kind_schema(KIND)["properties"]["slots"]
    assert schema["type"] == "array" and schema["items"]["title"] == "Créneau"
    assert schema["items"]["required"] == ["from", "to"]
    assert schema["items"]["additionalProperties"] is False
    assert schema["items"]["properties"]["from"]["maximum"] == 24
    build_registry([Domain(key="bin", label="Bacs", asset_kinds=(KIND,))])
