"""What both databases can store, checked where data comes in.

PostgreSQL refuses text holding a NUL character and integers beyond 64 bits (``bigint``);
SQLite raises ``OverflowError`` on the latter. Whatever enters through the API, a file or a
device is checked here first so that the caller gets a precise French error naming the
field, instead of a server error from the database:

- ``check_text`` / ``text_error``: one text value (a CSV cell, a query parameter…);
- ``document_errors`` / ``check_document``: every string, key and integer of a parsed JSON
  document;
- ``parse_json``: JSON bytes parsed and checked (the API's request bodies);
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
    and the caller would never know which one counted) — for the API's control bodies,
    not the hot paths (devices' payloads), where it would cost a second parse."""
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise Invalid(f"JSON mal formé : {json_error_text(exc)}.") from None
    if _MAYBE_NUL in raw or _LONG_DIGITS.search(raw):
        check_document(doc)
    if unique_keys and raw.count(b'"') >= 4:  # an object with two keys at least
        json.loads(raw, object_pairs_hook=_unique_pairs)
    return doc


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            raise Invalid(f"JSON ambigu : la clé « {key[:80]} » apparaît deux fois dans un même "
                          "objet ; une seule valeur est attendue.",
                          errors=[{"field": key[:80], "message": "clé en double"}])
        seen.add(key)
    return dict(pairs)


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
