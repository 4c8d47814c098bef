"""What both databases can store: the checks every entry point shares."""

from __future__ import annotations

import json

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from beffroi.core.errors import Invalid
from beffroi.core.storable import (
    BIGINT_MAX,
    BIGINT_MIN,
    as_id,
    check_document,
    check_text,
    document_errors,
    duplicate_keys,
    duplicate_reason,
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
    assert ambiguous.value.detail == ("JSON ambigu : clé « power_w » en double dans "
                                      "« properties » ; une seule valeur est attendue par clé.")
    assert ambiguous.value.errors == [{"field": "properties.power_w", "message": "clé en double"}]
    # Every object at fault is listed; the key written as an escape is the same key.
    with pytest.raises(Invalid) as two:
        parse_json(b'[{"a": 1, "\\u0061": 2}, {"b": {"c": [{"d": 1, "d" : 1}]}}]',
                   unique_keys=True)
    assert two.value.errors == [{"field": "0.a", "message": "clé en double"},
                                {"field": "1.b.c.0.d", "message": "clé en double"}]
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


def test_where_a_key_named_twice_is_said():
    def found(raw: bytes):
        return duplicate_keys(raw, orjson.loads(raw))

    assert found(b'{"a": 1, "a": 2}') == [((), "a")]
    assert found(b'[{"a": 1}, {"value": 1, "value": 2}]') == [((1,), "value")]
    # The first key named again, once per object; an object dropped by a later value of its
    # key is not looked into (its own key is the ambiguity).
    assert found(b'{"a": {"x": 1, "x": 2}, "a": 3, "b": 1, "b": 2}') == [((), "a")]
    assert [duplicate_reason(*f) for f in found(
        b'[{"a": 1}, {"a": 1}, {"a": 1}, {"value": 1, "value": 2}, '
        b'{"parameters": {"level": 1, "level": 2}}]')] == [
        "clé « value » en double dans l'objet n° 3",
        "clé « level » en double dans « parameters » de l'objet n° 4"]
    assert duplicate_reason(("features", 2, "properties"), "ref") == (
        "clé « ref » en double dans « features.2.properties »")
    # (a NUL shown escaped: the reason may be stored as a device's last error)
    assert duplicate_reason(("a\x00",), "b\x00") == "clé « b\\u0000 » en double dans « a\\u0000 »"
    # No key named twice: quotes, colons and blanks inside strings, a key ending with a
    # backslash, a document nested deeper than orjson writes (checked the slow way).
    for raw in (b'{"a": "\\":", "b": "\\" :", "\\\\": 1, "c\\\\": {"d": 1}}',
                b'{"a" :\n1, "b"\t: [1, 2], "c": {"a": 1}}', b'[1, "x", null]', b'{}',
                b'[' * 300 + b'{"a": 1}' + b']' * 300):
        assert found(raw) == [], raw
    assert found(b'[' * 300 + b'{"a": 1, "a": 1}' + b']' * 300) == [((0,) * 300, "a")]


def _reference(raw: bytes) -> bool:
    """Whether ``raw`` names a key twice in one object, by the slow and obvious way."""
    twice = False

    def pairs(items):
        nonlocal twice
        twice = twice or len({k for k, _ in items}) < len(items)
        return dict(items)

    json.loads(raw, object_pairs_hook=pairs)
    return twice


_KEYS = st.sampled_from(["a", "b", "a\"", "a\\", "\":", '" :', "é", "\u0061", ":"])
_SCALARS = st.one_of(st.integers(-5, 5), st.none(), st.booleans(), _KEYS)
_BLANKS = st.sampled_from(["", " ", "\n", "\t ", "\r\n"])


@st.composite
def _json_texts(draw, depth: int = 0) -> str:
    """JSON texts written by hand: keys repeated or not, quotes, colons and blanks in keys
    and strings, blanks anywhere, keys sometimes written as escapes."""
    def text(value: str) -> str:  # each character as itself or escaped, either way
        escapes = {"\"": ["\\\"", "\\u0022"], "\\": ["\\\\", "\\u005c"]}
        return '"' + "".join(draw(st.sampled_from(
            escapes.get(c, [c, f"\\u{ord(c):04x}"]))) for c in value) + '"'

    kind = draw(st.sampled_from(["scalar", "list", "object"] if depth < 3 else ["scalar"]))
    blank = draw(_BLANKS)
    if kind == "scalar":
        value = draw(_SCALARS)
        return text(value) if isinstance(value, str) else json.dumps(value)
    if kind == "list":
        items = draw(st.lists(_json_texts(depth + 1), max_size=3))
        return "[" + blank + ("," + blank).join(items) + "]"
    pairs = draw(st.lists(st.tuples(_KEYS, _json_texts(depth + 1)), max_size=4))
    return "{" + ",".join(f"{blank}{text(k)}{draw(_BLANKS)}:{blank}{v}" for k, v in pairs) + "}"


@settings(max_examples=400, deadline=None)
@given(_json_texts())
def test_a_key_named_twice_is_never_missed(written):
    raw = written.encode()
    assert bool(duplicate_keys(raw, orjson.loads(raw))) == _reference(raw)
