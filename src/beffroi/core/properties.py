"""Asset properties checked against the property schema their kind declares."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import orjson

from .registry import AssetKind, PropertySpec
from .storable import duplicate_keys, duplicate_reason
from .textfiles import number_text

TYPE_LABELS = {"string": "texte", "number": "nombre", "integer": "entier", "boolean": "booléen",
               "date": "date AAAA-MM-JJ", "enum": "valeur de la liste",
               "object": "objet JSON", "list": "tableau JSON"}
_TRUE = {"true", "vrai", "oui", "1", "yes"}
_FALSE = {"false", "faux", "non", "0", "no"}


# Entries of a list written as text: fields separated by ":", entries by ";".
_ENTRY_SEPARATOR = ";"
_FIELD_SEPARATOR = ":"


class CellError(ValueError):
    """A text cell that cannot be converted, with the precise reason in French."""


def _folded(text: str) -> str:
    return " ".join(text.casefold().split())


def enum_code(spec: PropertySpec, text: str) -> str:
    """The code of an enumeration cell: the code itself, or its French label, or either
    with another case (« École », « Gaz naturel », « GAZ »); the text unchanged if none."""
    if text in spec.choices:
        return text
    wanted = _folded(text)
    for code, label in spec.choice_labels:
        if _folded(label) == wanted:
            return code
    for code in spec.choices:
        if _folded(code) == wanted:
            return code
    return text


def _entries(spec: PropertySpec, text: str) -> list[dict[str, Any]]:
    """« Enseignement:1200 ; Bureaux:300,5 » → one entry per « ; », its fields in the
    declared order, each converted to its type."""
    entries = []
    for number, piece in enumerate(text.split(_ENTRY_SEPARATOR), start=1):
        if not piece.strip():
            continue
        cells = [c.strip() for c in piece.split(_FIELD_SEPARATOR)]
        if len(cells) > len(spec.entry_fields):
            raise CellError(f"entrée {number} « {piece.strip()} » : {len(cells)} champs au lieu "
                             f"de {len(spec.entry_fields)} au plus ("
                             + _FIELD_SEPARATOR.join(f.name for f in spec.entry_fields) + ")")
        entry: dict[str, Any] = {}
        for field, cell in zip(spec.entry_fields, cells, strict=False):
            if not cell:
                continue
            try:
                entry[field.name] = _coerce(field, cell)
            except ValueError:
                raise CellError(f"entrée {number} : {field.label} « {cell} » n'est pas un "
                                 f"{TYPE_LABELS[field.type]}") from None
        entries.append(entry)
    return entries


def _coerce(spec: PropertySpec, value: Any) -> Any:
    """Turn a text cell (CSV import) into the declared type; ValueError if impossible
    (with a French message when the cause is more precise than the type)."""
    text = value.strip()
    if spec.type == "number":
        return float(number_text(text))
    if spec.type == "integer":
        return int(number_text(text))
    if spec.type == "enum":
        return enum_code(spec, text)
    if spec.type == "list" and spec.entry_fields and not text.startswith("["):
        return _entries(spec, text)
    if spec.type in ("object", "list"):
        try:
            doc = orjson.loads(text)
        except orjson.JSONDecodeError:
            raise ValueError from None
        found = duplicate_keys(text, doc)
        if found:
            raise CellError(f"JSON ambigu : {duplicate_reason(*found[0])}")
        return doc
    if spec.type == "boolean":
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
        raise ValueError
    return text


_TYPE_NAMES = {str: "texte", int: "entier", float: "nombre décimal", bool: "booléen",
               list: "liste", dict: "objet"}


def _shown(value: Any) -> str:
    """A wrong value as a user reads it: « 13O000 » (texte)."""
    text = value if isinstance(value, str) else orjson.dumps(value).decode()
    if len(text) > 40:
        text = text[:39] + "…"
    return f"« {text} » ({_TYPE_NAMES.get(type(value), type(value).__name__)})"


def check_value(spec: PropertySpec, value: Any, *, from_text: bool = False) -> tuple[Any, str | None]:
    """Return (clean value, None) or (None, French error message)."""
    expected = TYPE_LABELS[spec.type]
    if from_text and isinstance(value, str):
        try:
            value = _coerce(spec, value)
        except CellError as exc:
            return None, f"« {value} » illisible : {exc}"
        except ValueError:
            return None, f"« {value} » n'est pas un {expected}"
    ok = {
        "string": isinstance(value, str),
        "number": isinstance(value, int | float) and not isinstance(value, bool),
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "boolean": isinstance(value, bool),
        "date": isinstance(value, str),
        "enum": isinstance(value, str),
        "object": isinstance(value, dict),
        "list": isinstance(value, list),
    }[spec.type]
    if not ok:
        return None, f"{expected} attendu, reçu {_shown(value)}"
    if spec.type == "date":
        try:
            date.fromisoformat(value)
        except ValueError:
            return None, f"date « {value} » invalide (AAAA-MM-JJ attendu)"
    if spec.pattern and isinstance(value, str) and re.fullmatch(spec.pattern, value) is None:
        hint = f" : {spec.pattern_hint}" if spec.pattern_hint else ""
        return None, f"« {value} » ne respecte pas le format attendu{hint}"
    if spec.type == "enum" and value not in spec.choices:
        if from_text and spec.choice_labels:  # a spreadsheet: the labels people write
            labels = dict(spec.choice_labels)
            return None, (f"« {value} » hors liste (attendu : "
                          + ", ".join(f"{labels.get(c, c)} ({c})" for c in spec.choices) + ")")
        return None, f"« {value} » hors liste (attendu : {', '.join(spec.choices)})"
    if spec.type in ("number", "integer"):
        if spec.minimum is not None and value < spec.minimum:
            return None, f"{value} est inférieur au minimum {spec.minimum:g}"
        if spec.maximum is not None and value > spec.maximum:
            return None, f"{value} est supérieur au maximum {spec.maximum:g}"
    return value, None


def entries_checked(spec: PropertySpec, value: Any) -> tuple[Any, list[dict[str, str]]]:
    """A value that passed ``check_value``, checked further: the entries of a list against
    the declared ``entry_fields`` (types, bounds, required fields, no unknown field), then
    the spec's own ``check``. Returns (clean value, errors); each error's field is named
    from inside the value: ``[2].end``, or ``""`` for the whole value."""
    errors: list[dict[str, str]] = []
    if spec.type == "list" and spec.entry_fields:
        fields = {f.name: f for f in spec.entry_fields}
        clean = []
        for i, entry in enumerate(value):
            if not isinstance(entry, dict):
                errors.append({"field": f"[{i}]",
                               "message": f"objet attendu, reçu {_shown(entry)}"})
                continue
            item: dict[str, Any] = {}
            for name, field_value in entry.items():
                field, where = fields.get(name), f"[{i}].{name}"
                if field is None:
                    errors.append({"field": where, "message": "champ inconnu (attendus : "
                                                              + ", ".join(fields) + ")"})
                elif field_value is not None:  # null: an empty optional field, left out
                    field_value, message = check_value(field, field_value)
                    if message:
                        errors.append({"field": where, "message": f"{field.label} : {message}"})
                    else:
                        item[name] = field_value
            for field in spec.entry_fields:
                if field.required and entry.get(field.name) is None:
                    errors.append({"field": f"[{i}].{field.name}",
                                   "message": f"obligatoire ({field.label})"})
            clean.append(item)
        value = clean
    if not errors and spec.check is not None:
        errors = list(spec.check(value))
    return (None, errors) if errors else (value, [])


def validate_properties(kind: AssetKind, props: Any, *, partial: bool = False,
                        from_text: bool = False) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """Clean properties plus a list of {field, message} errors (empty when valid)."""
    if props is None:
        props = {}
    if not isinstance(props, dict):
        return {}, [{"field": "properties", "message": "objet attendu"}]
    clean: dict[str, Any] = {}
    errors: list[dict[str, str]] = []
    for name, value in props.items():
        spec = kind.property(name)
        if value is None or (from_text and value == ""):
            continue
        if spec is None:
            if kind.allow_extra_properties:
                clean[name] = value
            else:
                errors.append({"field": f"properties.{name}", "message": "propriété inconnue"})
            continue
        value, message = check_value(spec, value, from_text=from_text)
        if message:
            errors.append({"field": f"properties.{name}", "message": message})
            continue
        value, problems = entries_checked(spec, value)
        if problems:
            errors += [{"field": f"properties.{name}{p['field']}", "message": p["message"]}
                       for p in problems]
        else:
            clean[name] = value
    if not partial:
        for spec in kind.properties:
            if spec.required and spec.name not in clean \
                    and not any(e["field"] == f"properties.{spec.name}" for e in errors):
                errors.append({"field": f"properties.{spec.name}",
                               "message": f"obligatoire ({spec.label})"})
    return clean, errors



JSON_TYPES = {"string": "string", "number": "number", "integer": "integer",
              "boolean": "boolean", "date": "string", "enum": "string", "object": "object",
              "list": "array"}


def property_schema(spec: PropertySpec) -> dict[str, Any]:
    """JSON Schema of one declared property (asset kinds, command parameters)."""
    entry: dict[str, Any] = {"type": JSON_TYPES[spec.type], "title": spec.label}
    if spec.type == "date":
        entry["format"] = "date"
    if spec.choices:
        entry["enum"] = list(spec.choices)
        if spec.choice_labels:
            labels = dict(spec.choice_labels)
            entry["x-enum-labels"] = {c: labels.get(c, c) for c in spec.choices}
    if spec.display:
        entry["x-display"] = spec.display
    if spec.pattern:
        entry["pattern"] = f"^(?:{spec.pattern})$"
        if spec.pattern_hint:  # the format in French words, for a form's hint
            entry["x-pattern-hint"] = spec.pattern_hint
    if spec.unit:
        entry["x-unit"] = spec.unit
    if spec.minimum is not None:
        entry["minimum"] = spec.minimum
    if spec.maximum is not None:
        entry["maximum"] = spec.maximum
    if spec.entry_fields and spec.type == "list":
        entry["items"] = {
            "type": "object", "title": spec.entry_label or "",
            "properties": {f.name: property_schema(f) for f in spec.entry_fields},
            "required": [f.name for f in spec.entry_fields if f.required],
            "additionalProperties": False}
    elif spec.entry_fields:
        entry["additionalProperties"] = {
            "type": "object", "title": spec.entry_label or "",
            "properties": {f.name: property_schema(f) for f in spec.entry_fields}}
    return entry


def property_texts(kind: AssetKind | None, props: dict[str, Any]) -> dict[str, str]:
    """The French reading of each property its kind describes (``PropertySpec.describe``)."""
    out: dict[str, str] = {}
    for spec in kind.properties if kind else ():
        if spec.describe is not None and props.get(spec.name) not in (None, ""):
            text = spec.describe(props[spec.name])
            if text:
                out[spec.name] = text
    return out


def kind_schema(kind: AssetKind) -> dict[str, Any]:
    """The kind's property schema as JSON Schema, for API clients."""
    props = {spec.name: property_schema(spec) for spec in kind.properties}
    return {"type": "object", "properties": props,
            "required": [s.name for s in kind.properties if s.required],
            "additionalProperties": kind.allow_extra_properties}
