"""What both databases can store: the checks every entry point shares."""

from __future__ import annotations

import pytest

from beffroi.core.errors import Invalid
from beffroi.core.storable import (
    BIGINT_MAX,
    BIGINT_MIN,
    as_id,
    check_document,
    check_text,
    document_errors,
    is_id,
    parse_id,
    parse_json,
    text_error,
)


def test_text_with_a_nul_character_is_refused_with_its_field():
    assert text_error("Église Saint-Pierre") is None
    assert text_error("a\x00b") == "caractère NUL (\\u0000) interdit"
    assert check_text("ok", "name") == "ok"
    with pytest.raises(Invalid) as refused:
        check_text("Mairie\x00", "name")
    assert refused.value.errors == [{"field": "name", "message": text_error("\x00")}]
    assert refused.value.detail == "« name » : caractère NUL (\\u0000) interdit."


def test_document_errors_name_each_value_by_its_path():
    doc = {"name": "ok", "ids": [1, 2**63, -(2**63) - 1 + 1, BIGINT_MIN],
           "features": [{"properties": {"ref": "A\x00", "n": BIGINT_MAX}}],
           "k\x00": True, "flag": True, "x": 1.5e300}
    assert document_errors(doc) == [
        {"field": "ids.1", "message": "nombre entier hors limites (de -9223372036854775808 "
                                      "à 9223372036854775807)"},
        {"field": "features.0.properties.ref", "message": "caractère NUL (\\u0000) interdit"},
        {"field": "k\\u0000", "message": "nom de champ : caractère NUL (\\u0000) interdit"},
    ]
    assert document_errors([{"a": "\x00"}]) == [
        {"field": "0.a", "message": "caractère NUL (\\u0000) interdit"}]
    assert document_errors("\x00") == [
        {"field": "(document)", "message": "caractère NUL (\\u0000) interdit"}]
    assert check_document({"fine": [1, "deux", None]}) == {"fine": [1, "deux", None]}


def test_more_than_five_problems_are_summed_up():
    with pytest.raises(Invalid) as refused:
        check_document(["\x00"] * 7)
    assert refused.value.detail == ("Valeur impossible à enregistrer : « 0 », « 1 », « 2 », "
                                    "« 3 », « 4 » et 2 autre(s).")
    assert len(refused.value.errors) == 7


def test_parse_json_checks_what_it_parses():
    assert parse_json(b'{"a": [1, "b"]}') == {"a": [1, "b"]}
    # 19 digits inside a string are not an integer: a look, then accepted.
    assert parse_json(b'{"ref": "1234567890123456789012"}') == {
        "ref": "1234567890123456789012"}
    assert parse_json(b'{"n": 9223372036854775807}') == {"n": BIGINT_MAX}
    for raw, field in ((b'{"n": 9223372036854775808}', "n"),
                       (b'[{"name": "a\\u0000"}]', "0.name")):
        with pytest.raises(Invalid) as refused:
            parse_json(raw)
        assert [e["field"] for e in refused.value.errors] == [field]
    with pytest.raises(Invalid) as malformed:
        parse_json(b"{oops")
    assert malformed.value.detail == ("JSON mal formé : nom de champ entre guillemets attendu, "
                                      "ligne 1, colonne 2.")


def test_a_key_named_twice_is_refused_where_asked():
    raw = b'{"name": "Armoire A", "properties": {"power_w": 70, "power_w": 700}}'
    # Without the check, one value silently wins.
    assert parse_json(raw)["properties"] == {"power_w": 700}
    with pytest.raises(Invalid) as ambiguous:
        parse_json(raw, unique_keys=True)
    assert ambiguous.value.detail == ("JSON ambigu : la clé « power_w » apparaît deux fois "
                                      "dans un même objet ; une seule valeur est attendue.")
    assert ambiguous.value.errors == [{"field": "power_w", "message": "clé en double"}]
    # The same key in two different objects is no ambiguity.
    assert parse_json(b'[{"a": 1}, {"a": 2}, {"b": {"a": 3}}]', unique_keys=True) == [
        {"a": 1}, {"a": 2}, {"b": {"a": 3}}]


def test_identifiers():
    assert [is_id(v) for v in (1, BIGINT_MAX, 0, BIGINT_MAX + 1, True, 1.0, "1")] == [
        True, True, False, False, False, False, False]
    assert as_id(" 42 ") == 42
    for text in ("0", "-1", "²", "٣", "1e3", "", str(BIGINT_MAX + 1)):
        assert as_id(text) is None, text
        with pytest.raises(Invalid) as refused:
            parse_id(text, "streams")
        assert refused.value.errors[0]["field"] == "streams"
    assert parse_id(str(BIGINT_MAX), "x") == BIGINT_MAX
