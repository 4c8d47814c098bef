"""What both databases can store, checked where data comes in.

PostgreSQL refuses text holding a NUL character and integers beyond 64 bits (``bigint``);
SQLite raises ``OverflowError`` on the latter. Whatever enters through the API, a file or a
device is checked here first so that the caller gets a precise French error naming the
field, instead of a server error from the database:

- ``check_text`` / ``text_error``: one text value (a CSV cell, a query parameter…);
- ``document_errors`` / ``check_document``: every string, key and integer of a parsed JSON
  document;
- ``parse_json``: JSON bytes parsed and checked (the API's request bodies);
- ``duplicate_keys`` / ``check_unique_keys``: whether a JSON text names a key twice in one
  object, and where (``duplicate_reason``, ``ambiguous``: the French refusal;
  ``refuse_items``: only the items of a batch concerned refused);
- ``is_id``: whether a JSON value can name a row (``false`` cannot);
- ``as_id`` / ``parse_id``: an identifier written as text (``?streams=1,2``, a tenant's
  number);
- ``parse_count``: a whole number within bounds written as text (``?days=30``, ``?hours=72``).
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

from .errors import Invalid
from .textfiles import json_error_text

BIGINT_MIN = -(2**63)
BIGINT_MAX = 2**63 - 1
NUL = "\x00"
NUL_MESSAGE = "caractère NUL (\\u0000) interdit"
INTEGER_MESSAGE = f"nombre entier hors limites (de {BIGINT_MIN} à {BIGINT_MAX})"
# Cheap tests on the raw bytes before walking a whole document: a NUL can only come as the
# escape \u0000 (a raw NUL byte is not valid JSON), an out-of-range integer has 19+ digits.
_MAYBE_NUL = b"\\u0000"
_LONG_DIGITS = re.compile(rb"\d{19}")


def text_error(value: str) -> str | None:
    """Why ``value`` cannot be stored as text, or None."""
    return NUL_MESSAGE if NUL in value else None


def check_text(value: str, field: str) -> str:
    """``value`` itself, or ``Invalid`` naming ``field`` when it cannot be stored."""
    problem = text_error(value)
    if problem is not None:
        raise Invalid(f"« {field} » : {problem}.", errors=[{"field": field, "message": problem}])
    return value


def integer_error(value: int) -> str | None:
    """Why ``value`` cannot be stored as an integer (64-bit signed), or None."""
    return None if BIGINT_MIN <= value <= BIGINT_MAX else INTEGER_MESSAGE


def document_errors(doc: Any, path: str = "") -> list[dict[str, str]]:
    """One error per string, key or integer of a JSON document that cannot be stored; the
    field is its dotted path (``0.name``, ``features.3.properties.ref``)."""
    errors: list[dict[str, str]] = []
    _walk(doc, path, errors)
    return errors


def _walk(doc: Any, path: str, errors: list[dict[str, str]]) -> None:
    if isinstance(doc, str):
        if NUL in doc:
            errors.append({"field": path or "(document)", "message": NUL_MESSAGE})
    elif isinstance(doc, bool):
        return
    elif isinstance(doc, int):
        if integer_error(doc):
            errors.append({"field": path or "(document)", "message": INTEGER_MESSAGE})
    elif isinstance(doc, dict):
        for key, value in doc.items():
            name = str(key).replace(NUL, "\\u0000")
            child = f"{path}.{name}" if path else name
            if NUL in str(key):
                errors.append({"field": child, "message": "nom de champ : " + NUL_MESSAGE})
            _walk(value, child, errors)
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            _walk(value, f"{path}.{index}" if path else str(index), errors)


def check_document(doc: Any) -> Any:
    """``doc`` itself, or ``Invalid`` listing each value that cannot be stored."""
    errors = document_errors(doc)
    if errors:
        raise Invalid(_summary(errors), errors=errors)
    return doc


def _summary(errors: list[dict[str, str]]) -> str:
    shown = ", ".join(f"« {e['field']} »" for e in errors[:5])
    more = f" et {len(errors) - 5} autre(s)" if len(errors) > 5 else ""
    return f"Valeur impossible à enregistrer : {shown}{more}."


def parse_json(raw: bytes, *, unique_keys: bool = False) -> Any:
    """The JSON document in ``raw``, every value storable; ``Invalid`` (French) otherwise.
    With ``unique_keys``, an object naming a key twice is refused too (JSON parsers keep
    one of the two values without a word: ``{"name": "A", "name": "B"}`` would store « B »
    and the caller would never know which one counted; see ``duplicate_keys``)."""
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise Invalid(f"JSON mal formé : {json_error_text(exc)}.") from None
    if _MAYBE_NUL in raw or _LONG_DIGITS.search(raw):
        check_document(doc)
    if unique_keys:
        check_unique_keys(raw, doc)
    return doc


# -- keys named twice ---------------------------------------------------------------------------
# Without a second parse when no key is named twice: orjson writes the parsed document, where
# a key named twice was kept once (with its last value), and that writing is compared with
# the text (``_keys_kept``). When they are the same bytes (a compact text, as orjson or
# JavaScript's JSON.stringify write it), no key was dropped; otherwise:
# - Text without a quote written ``\u0022`` (the common case): every quote of a JSON text
#   belongs to a string, either as one of its two ends or escaped inside it (``\"``), and
#   orjson writes each string of the document with the same number of quotes. A key named
#   twice drops at least its own string from the document: the text has more quotes than
#   orjson's writing exactly when an object names a key twice.
# - With ``\u0022``, keys are counted instead: every key ends with a quote followed by a colon
#   (blanks allowed between them), so the text has at least as many of those as keys; orjson
#   writes each key kept as ``"key":``, and taking off every ``":`` that may open or sit in a
#   string (after ``\``, ``{``, ``[``, ``,`` or ``:``) leaves at most the keys kept. Equal
#   counts prove that every key written was kept.
# Only when the counts differ (a key named twice; with ``\u0022``, strings holding ``":``) is
# the text parsed again, slowly, to find where.
_KEY_END = re.compile(rb'"[ \t\n\r]*:')
_BLANK_AFTER_QUOTE = re.compile(rb'"[ \t\n\r]')
_NOT_SURELY_KEYS = (b'\\":', b'{":', b'[":', b',":', b':":')


class _Twice(dict):
    """An object of the slow parse that names ``key`` twice."""

    __slots__ = ("key",)


def duplicate_keys(raw: bytes | str, doc: Any) -> list[tuple[tuple[str | int, ...], str]]:
    """Each object of the JSON text ``raw`` (parsed as ``doc`` by orjson) that names a key
    twice: (the object's path in the document, the first key named again), in document
    order; ``[]`` when there is none. About as cheap as one ``orjson.dumps(doc)`` when there
    is none (see above); ``Invalid`` for a document nested too deep to be checked."""
    text = raw.encode() if isinstance(raw, str) else raw
    if b":" not in text or _keys_kept(text, doc):
        return []
    try:
        parsed = json.loads(text, object_pairs_hook=_pairs)
    except RecursionError:
        raise Invalid("Document JSON trop imbriqué pour en vérifier les clés.") from None
    found: list[tuple[tuple[str | int, ...], str]] = []
    stack: list[tuple[tuple[str | int, ...], Any]] = [((), parsed)]
    while stack:  # depth first, in document order
        path, value = stack.pop()
        if isinstance(value, dict):
            if type(value) is _Twice:
                found.append((path, value.key))
            stack.extend(((*path, k), v) for k, v in reversed(value.items()))
        elif isinstance(value, list):
            stack.extend(((*path, i), v) for i, v in reversed(list(enumerate(value))))
    return found


def _keys_kept(text: bytes, doc: Any) -> bool:
    """Whether every key written in ``text`` is one of ``doc`` (see above)."""
    try:
        out = orjson.dumps(doc)
    except orjson.JSONEncodeError:  # nested deeper than orjson writes: check slowly
        return False
    if out == text:  # written as orjson (or JSON.stringify) writes: no key was dropped
        return True
    if b"\\" not in text or b"\\u0022" not in text:
        return text.count(b'"') == out.count(b'"')
    kept = out.count(b'":') - sum(out.count(written) for written in _NOT_SURELY_KEYS)
    written = len(_KEY_END.findall(text)) if _BLANK_AFTER_QUOTE.search(text) \
        else text.count(b'":')
    return written == kept


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) == len(pairs):
        return obj
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            break
        seen.add(key)
    twice = _Twice(obj)
    twice.key = key
    return twice


def dotted(path: tuple[str | int, ...]) -> str:
    """A path in a document as the API names fields: ``features.3.properties`` (a NUL
    written ``\\u0000``, which the databases could not store in an error)."""
    return ".".join(_name(part) for part in path)


def _name(part: str | int) -> str:
    return str(part)[:80].replace(NUL, "\\u0000")


def duplicate_reason(path: tuple[str | int, ...], key: str) -> str:
    """« clé « value » en double dans l'objet n° 3 », French, for ``duplicate_keys``' finds:
    an object of a list by its number (from 0, as the API's ``index``), a nested one by its
    dotted path."""
    text = f"clé « {_name(key)} » en double"
    if not path:
        return text
    if type(path[0]) is int:
        inner = f"« {dotted(path[1:])} » de " if len(path) > 1 else ""
        return f"{text} dans {inner}l'objet n° {path[0]}"
    return f"{text} dans « {dotted(path)} »"


def ambiguous(found: list[tuple[tuple[str | int, ...], str]]) -> Invalid:
    """The refusal of a document in which ``duplicate_keys`` found keys named twice: each
    one in ``errors``, its field the key's dotted path."""
    return Invalid(f"JSON ambigu : {duplicate_reason(*found[0])} ; une seule valeur est "
                   "attendue par clé.",
                   errors=[{"field": dotted((*path, key)), "message": "clé en double"}
                           for path, key in found])


class Refused:
    """What stands for an item of a list (an observation, a GeoJSON feature) that names a
    key twice: ``reason`` names the item by its number (« clé « v » en double dans « value »
    de l'objet n° 3 », for a report that gives each item's index from 0), ``inside`` only
    where in the item (« clé « v » en double dans « value » », for one that numbers its rows
    otherwise) and ``field`` the key's dotted path in the item (``value.v``)."""

    __slots__ = ("reason", "inside", "field")

    def __init__(self, path: tuple[str | int, ...], key: str) -> None:
        self.reason = duplicate_reason(path, key)
        self.inside = duplicate_reason(path[1:], key)
        self.field = dotted((*path[1:], key))


def refuse_items(items: list[Any], found: list[tuple[tuple[str | int, ...], str]],
                 prefix: tuple[str | int, ...] = ()) -> list[Any]:
    """``items``, the list at ``prefix`` in a document, with each item in which
    ``duplicate_keys`` found a key named twice replaced by its ``Refused`` (the first key
    found); ``ambiguous`` when one is outside the items (in the document's own object)."""
    refused: dict[int, Refused] = {}
    for path, key in found:
        inner = path[len(prefix):]
        if path[:len(prefix)] != prefix or not inner or type(inner[0]) is not int:
            raise ambiguous([(path, key)])
        if inner[0] not in refused:
            refused[inner[0]] = Refused(inner, key)
    return [refused.get(i, item) for i, item in enumerate(items)]


def check_unique_keys(raw: bytes | str, doc: Any) -> Any:
    """``doc`` itself, or ``ambiguous`` when an object of ``raw`` names a key twice."""
    found = duplicate_keys(raw, doc)
    if found:
        raise ambiguous(found)
    return doc


def is_id(value: Any) -> bool:
    """Whether a JSON value can name a row: an integer (not a boolean) from 1 to
    ``BIGINT_MAX``."""
    return type(value) is int and 1 <= value <= BIGINT_MAX


def as_id(text: str) -> int | None:
    """The positive identifier ``text`` spells in ASCII digits, or None (``"²"`` and
    ``"99999999999999999999"`` are not identifiers)."""
    value = text.strip()
    if value.isascii() and value.isdigit() and 1 <= int(value) <= BIGINT_MAX:
        return int(value)
    return None


def parse_id(text: str, field: str) -> int:
    """``as_id``, or ``Invalid`` naming ``field``."""
    value = as_id(text)
    if value is None:
        raise Invalid(f"« {field} » : identifiant attendu (nombre entier de 1 à {BIGINT_MAX}).",
                      errors=[{"field": field, "message": "identifiant entier attendu"}])
    return value


def parse_count(text: Any, field: str, low: int, high: int, noun: str,
                title: str = "Période") -> int:
    """A whole number of ``noun`` (« jours », « nuits », « heures ») from ``low`` to ``high``,
    or ``Invalid`` naming ``field`` (« {title} « … » invalide. »)."""
    try:
        value = int(str(text).strip())
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise Invalid(f"{title} « {str(text)[:20]} » invalide.",
                      errors=[{"field": field, "message": f"nombre de {noun} entier, de {low} "
                                                          f"à {high}"}])
    return value
