"""Text files users import — inventories, zones, boundaries, observation histories, water
series: strict decoding and strict CSV reading, shared by every import.

Decoding (``decode``): UTF-8, with or without BOM, first. Bytes that are not valid UTF-8
are read as Windows-1252 (the encoding of spreadsheet and GIS exports on French Windows;
it covers Latin-1's printable text) only when the whole file decodes cleanly and
plausibly:

- a file holding UTF-8 multi-byte characters (« É » written C3 89…) next to invalid
  bytes is UTF-8 with stray bytes: refused, with the line and column of the first one,
  instead of being read as « Ã‰glise »;
- a byte undefined in Windows-1252 (0x81, 0x8D, 0x8F, 0x90, 0x9D) refuses the file;
- every non-ASCII character must be plausible in French text: letters of French and
  neighbouring languages anywhere, usual typographic signs (« » ’ – … € ° ² …) but not
  glued inside a word (« c½ur » is ISO-8859-15 « cœur », « Žglise » Mac Roman), anything
  else (‚ ˆ Š ¤ …, the marks of DOS or Mac encodings) refuses the file.

A small rule set of our own rather than charset-normalizer: the only legacy encoding
accepted is Windows-1252 and each refusal names a line and column, where a statistical
detector would pick among dozens of encodings by score, differently for a short file.

CSV (``read_csv``), RFC 4180 read strictly: the first line is the header; the separator
is the one of ``;`` ``,`` tab that the header uses (never guessed from the data); the
quote is ``"`` (doubled inside a quoted value). A quoted value may hold line breaks (kept
as ``\\n``); outside quotes CR, LF and CRLF all end a line (old Mac exports use CR). Each
record must have exactly as many fields as the header; empty lines are skipped. A record
with an unclosed quote, a character after a closing quote, a wrong number of fields or a
control character (NUL…) is reported with its physical line number and the reading goes
on with the next line: one bad record never hides the valid ones after it.

``open_csv`` reads the header and gives the records on demand, never all kept (an
observation history of millions of lines); ``read_csv`` gives them all at once.
"""

from __future__ import annotations

import csv
import itertools
import math
import re
import unicodedata
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import orjson

from .errors import Invalid

ENCODING_LABELS = {"utf-8": "UTF-8", "windows-1252": "Windows-1252"}
DELIMITERS = {";": "point-virgule", ",": "virgule", "\t": "tabulation"}

# A well-formed UTF-8 multi-byte sequence (RFC 3629).
_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}"
    rb"|\xf4[\x80-\x8f][\x80-\xbf]{2}")
# Letters of French and neighbouring Western European languages, allowed anywhere.
_LETTERS = set("àâäçéèêëîïôöùûüÿœæÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸŒÆáíóúñãõåøßìòÁÍÓÚÑÃÕÅØÌÒ")
# Signs that may touch letters: apostrophes, dashes, middle dot, no-break space, µ, º ª.
_GLUE = set("’‘–—·\u00a0µºª")
# Typographic signs allowed between words, not inside one (« c½ur »).
_SIGNS = set("«»“”‹›…€°²³¹§©®™±×•¼½¾‰£¥¢¿¡")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_NEWLINES = re.compile(r"\r\n?")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_SEPARATOR_HINT = re.compile(r"sep=([;,\t])")
_LINE_END = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class DecodedText:
    text: str
    encoding: str  # "utf-8" | "windows-1252"
    warnings: tuple[str, ...] = ()

    @property
    def encoding_label(self) -> str:
        return ENCODING_LABELS[self.encoding]


def _refuse(message: str, line: int | None = None, column: int | None = None) -> Invalid:
    where = {"line": line, "column": column} if line is not None else {}
    return Invalid(message[0].upper() + message[1:],
                   errors=[{"field": "encoding", **where, "message": message}])


def _line_and_column(prefix: bytes, encoding: str) -> tuple[int, int]:
    """Line (CR, LF and CRLF end a line) and column (characters) just after ``prefix``."""
    line = 1 + prefix.count(b"\n") + prefix.count(b"\r") - prefix.count(b"\r\n")
    start = max(prefix.rfind(b"\n"), prefix.rfind(b"\r")) + 1
    return line, len(prefix[start:].decode(encoding)) + 1


def decode(raw: bytes) -> DecodedText:
    """The file's text, strictly decoded (see the module's rules); Invalid in French."""
    if raw.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise _refuse("classeur Excel et non fichier texte : enregistrez-le au format "
                      "« CSV UTF-8 »")
    head = raw[:4096]
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or (head and head.count(0) * 4 >= len(head)):
        raise _refuse("fichier en UTF-16 ou binaire : réenregistrez-le en UTF-8 (« CSV UTF-8 » "
                      "dans le tableur)")
    body = raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = exc.start
    else:
        if body is raw and _accidental_utf8(text, body):
            return _legacy(body.decode("cp1252"))
        return DecodedText(text, "utf-8")
    if body is not raw or any(_plausible(m.group().decode()) for m in
                              _UTF8_SEQUENCE.finditer(body)):
        line, column = _line_and_column(body[:bad], "utf-8")
        raise _refuse(f"fichier UTF-8 contenant un octet invalide (0x{body[bad]:02X}) ligne "
                      f"{line}, colonne {column} : corrigez-le ou réenregistrez le fichier "
                      "en UTF-8", line, column)
    try:
        text = body.decode("cp1252")
    except UnicodeDecodeError as exc:
        line, column = _line_and_column(body[:exc.start], "cp1252")
        raise _refuse(f"octet 0x{body[exc.start]:02X} ligne {line}, colonne {column} inconnu "
                      "en UTF-8 comme en Windows-1252 : réenregistrez le fichier en UTF-8",
                      line, column) from None
    for match in _NON_ASCII.finditer(text):
        if not _plausible_in(text, match.start()):
            line, column = _line_and_column(body[:match.start()], "cp1252")
            raise _refuse(f"caractère « {match.group()} » inattendu ligne {line}, colonne "
                          f"{column} à la lecture en Windows-1252 : l'encodage du fichier "
                          "n'est pas reconnu, réenregistrez-le en UTF-8", line, column)
    return _legacy(text)


def _legacy(text: str) -> DecodedText:
    return DecodedText(text, "windows-1252", (
        "fichier lu en Windows-1252 (il n'est pas en UTF-8) : vérifiez les accents ; "
        "préférez l'enregistrement en UTF-8",))


def _accidental_utf8(text: str, body: bytes) -> bool:
    """Valid UTF-8 by accident: a Windows-1252 « É » before a no-break space (C9 A0) reads
    « ɠ ». True when no non-ASCII character of the UTF-8 reading is plausible in French
    and the whole Windows-1252 reading is."""
    found = [m.group() for m in _NON_ASCII.finditer(text)]
    if not found or any(_plausible(c) for c in found):
        return False
    try:
        legacy = body.decode("cp1252")
    except UnicodeDecodeError:
        return False
    return all(_plausible_in(legacy, m.start()) for m in _NON_ASCII.finditer(legacy))


def _plausible(char: str) -> bool:
    """A character UTF-8 text in French plausibly holds (what C3 89 is, and 0xC9 0xA0 of
    a Windows-1252 « É » before a no-break space is not)."""
    code = ord(char)
    return (0xA0 <= code <= 0x17F or 0x2000 <= code <= 0x206F or 0x300 <= code <= 0x36F
            or char in "€™")


def _plausible_in(text: str, at: int) -> bool:
    """Whether the non-ASCII character at ``at`` of a Windows-1252 reading is plausible."""
    char = text[at]
    if char in _LETTERS or char in _GLUE:
        return True
    if char not in _SIGNS:
        return False
    before = text[at - 1] if at else " "
    after = text[at + 1] if at + 1 < len(text) else " "
    return not (before.isalpha() and after.isalpha()) and not (
        char in "¼½¾" and (before.isalpha() or after.isalpha()))


def load_json(raw: bytes, what: str = "JSON", *, items: tuple[str, ...] | None = None
              ) -> tuple[object, DecodedText]:
    """A JSON (GeoJSON) file: decoded by the same rules, then parsed; Invalid in French,
    also when an object names a key twice (``storable.duplicate_keys``) — unless it is in
    an item of the list at ``items`` (``("features",)``): that item alone is then replaced
    by a ``storable.Refused`` saying why, for the caller to refuse it and keep the others."""
    from . import storable  # (storable reads this module's JSON error texts)

    decoded = decode(raw)
    try:
        data = orjson.loads(decoded.text)
    except orjson.JSONDecodeError as exc:
        raise Invalid(f"{what} mal formé : {json_error_text(exc)}.") from None
    found = storable.duplicate_keys(decoded.text, data)
    if found:
        inside: Any = data
        for part in items or ():
            inside = inside.get(part) if isinstance(inside, dict) else None
        if items is None or not isinstance(inside, list):
            raise storable.ambiguous(found)
        inside[:] = storable.refuse_items(inside, found, items)
    return data, decoded


_JSON_REASONS = {  # orjson's messages (yyjson's), in French
    "unexpected end of data": "le texte s'arrête avant la fin du document",
    "unexpected character, expected a string key": "nom de champ entre guillemets attendu",
    "unexpected character, expected ':' after key": "« : » attendu après le nom du champ",
    "unexpected character, expected ',' or ']'": "« , » ou « ] » attendu",
    "unexpected character, expected ',' or '}'": "« , » ou « } » attendu",
    "unexpected character": "caractère inattendu",
    "trailing comma is not allowed": "virgule en trop avant la fermeture",
    "unexpected content after document": "texte en trop après la fin du document",
    "Input is a zero-length, empty document": "document vide",
    "unexpected control character in string": "caractère de contrôle dans un texte",
    "invalid escaped sequence in string": "séquence d'échappement « \\ » invalide",
    "number with leading zero is not allowed": "nombre commençant par un zéro",
    "no digit after sign": "chiffre attendu après le signe",
    "number is infinity when parsed as double": "nombre trop grand",
    "depth limit exceeded": "document trop imbriqué",
    "str is not valid UTF-8: surrogates not allowed": "texte UTF-8 invalide",
    "invalid literal": "mot inconnu (attendu true, false ou null)",
}


def json_error_text(exc: orjson.JSONDecodeError) -> str:
    """Why a JSON document cannot be read, in French, with where (line and column)."""
    reason = _JSON_REASONS.get(exc.msg) or next(
        (text for key, text in _JSON_REASONS.items() if exc.msg.startswith(key)), None)
    return f"{reason or exc.msg}, ligne {exc.lineno}, colonne {exc.colno}"


# -- CSV ----------------------------------------------------------------------------------
@dataclass(slots=True)
class CsvRecord:
    """One data record: its values by column name, or the reason it was refused."""

    index: int  # among the data records (empty lines are not records), from 0
    line: int  # physical line of the file where it starts, from 1
    values: dict[str, str] | None
    problem: str | None = None


@dataclass
class CsvTable:
    columns: list[str]  # header names (renamed), "" for an unnamed column
    records: list[CsvRecord]
    delimiter: str
    encoding: str
    warnings: list[str] = field(default_factory=list)


def _header_delimiter(first_line: str) -> str:
    """The separator the header uses most, outside quotes; ``,`` for a single column."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for char in first_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(counts.values())
    winners = [d for d, n in counts.items() if n == best]
    if best and len(winners) > 1:
        names = " et ".join(DELIMITERS[d] for d in winners)
        raise Invalid(f"Séparateur ambigu dans l'en-tête (ligne 1) : autant de {names} ; "
                      "utilisez un seul séparateur.")
    return winners[0] if best else ","


def _csv_reason(exc: csv.Error, start: int) -> str:
    text = str(exc)
    if "expected after" in text:
        return ("caractère après un guillemet fermant (un guillemet dans une valeur entre "
                "guillemets s'écrit \"\")")
    if "unexpected end of data" in text:
        return f"guillemet ouvert ligne {start} jamais refermé"
    if "field larger than field limit" in text:
        limit = f"{csv.field_size_limit():_}".replace("_", "\u202f")
        return f"valeur de plus de {limit} caractères : guillemet ouvert ligne {start} jamais refermé ?"
    return f"ligne CSV mal formée ({text})"


def _control_problem(row: list[str], columns: list[str]) -> str | None:
    for number, cell in enumerate(row, start=1):
        match = _CONTROL.search(cell)
        if match:
            code = ord(match.group())
            name = unicodedata.name(match.group(), "NUL" if code == 0 else "contrôle")
            where = f"« {columns[number - 1]} »" if number <= len(columns) and columns[
                number - 1] else f"n° {number}"
            return f"caractère de contrôle U+{code:04X} ({name}) dans la colonne {where}"
    return None


class _Lines:
    """The physical lines of a text, each with its end (CR, LF or CRLF, as
    ``io.StringIO(text, newline="").readlines()`` gives them), by index: the text and
    where each line ends, not a list of millions of strings."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.ends = array("q", (m.end() for m in _LINE_END.finditer(text)))
        if text and (not self.ends or self.ends[-1] != len(text)):
            self.ends.append(len(text))  # a last line without an end

    def __len__(self) -> int:
        return len(self.ends)

    def __getitem__(self, index: int) -> str:
        return self.text[self.ends[index - 1] if index else 0:self.ends[index]]

    def iter_from(self, index: int) -> Iterator[str]:
        text, ends = self.text, self.ends
        start = ends[index - 1] if index else 0
        for end in itertools.islice(ends, index, None):
            yield text[start:end]
            start = end


@dataclass
class CsvFile:
    """A CSV text whose header is read and checked; its records are read on demand
    (``records``), as often as needed, never all kept: the way to read a file of millions
    of lines. ``read_csv`` gives them all at once."""

    columns: list[str]  # header names (renamed), "" for an unnamed column
    delimiter: str
    encoding: str
    warnings: list[str]
    header_line: int  # from 1 (2 after Excel's « sep=; » line)
    _lines: _Lines
    _dialect: dict
    _controls: bool  # a control character somewhere: rows are checked for it
    _carriage: bool  # a CR somewhere: line breaks inside values are normalised

    @property
    def line_count(self) -> int:
        """Physical lines after the header (empty ones and those inside quoted values
        included): what a progress bar of the reading counts."""
        return len(self._lines) - self.header_line

    def records(self) -> Iterator[CsvRecord]:
        """Every data record, in file order (see the module's rules)."""
        columns, width = self.columns, len(self.columns)
        unnamed = [i for i, name in enumerate(columns) if not name]
        named = [name for name in columns if name]
        index = 0
        for start, row, problem in _records(self._lines, self.header_line, self._dialect,
                                            width):
            if problem is None:
                if not "".join(row).strip():
                    continue  # an empty line, or one of separators only
                if self._controls:
                    problem = _control_problem(row, columns)
                if problem is None and len(row) != width:
                    problem = (f"{len(row)} champ{'s' if len(row) > 1 else ''} au lieu de "
                               f"{width} (en-tête ligne {self.header_line}) ; une valeur "
                               "contenant le séparateur doit être entre guillemets")
                if problem is None and unnamed:
                    extra = next((i for i in unnamed if row[i].strip()), None)
                    if extra is not None:
                        problem = f"valeur dans la colonne n° {extra + 1}, sans nom dans l'en-tête"
            if problem:
                values = None
            else:
                cells = [row[i] for i in range(width) if i not in unnamed] if unnamed else row
                values = dict(zip(named, [_NEWLINES.sub("\n", c.strip()) if self._carriage
                                          else c.strip() for c in cells], strict=True))
            yield CsvRecord(index, start, values, problem)
            index += 1


def open_csv(source: DecodedText, *, rename: Callable[[str], str] | None = None) -> CsvFile:
    """The header of a CSV text, checked, and its records to read (``CsvFile.records``).

    ``rename`` maps each header name (stripped) to the column name used (aliases of a
    domain's import). Invalid when the header itself is unusable.
    """
    lines = _Lines(source.text)
    first = 0
    hint = _SEPARATOR_HINT.fullmatch(lines[0].rstrip("\r\n")) if len(lines) else None
    if hint:  # Excel's « sep=; » line before the header
        first = 1
    if len(lines) <= first or not lines[first].strip():
        raise Invalid(f"Fichier CSV vide ou sans en-tête en ligne {first + 1}.")
    delimiter = hint.group(1) if hint else _header_delimiter(lines[first])
    dialect = {"delimiter": delimiter, "quotechar": '"', "doublequote": True,
               "skipinitialspace": True, "strict": True}
    try:
        header = next(csv.reader([lines[first]], **dialect))
    except csv.Error as exc:
        raise Invalid(f"En-tête CSV illisible (ligne {first + 1}) : "
                      f"{_csv_reason(exc, first + 1)}.") from None
    columns = [(rename or str)(name.strip()) if name.strip() else "" for name in header]
    seen: dict[str, str] = {}
    for original, name in zip(header, columns, strict=True):
        if name and name in seen:
            both = f"« {seen[name]} » et « {original.strip()} »"
            raise Invalid(f"En-tête CSV : les colonnes {both} désignent toutes deux « {name} ».")
        seen[name] = original.strip()
    return CsvFile(columns, delimiter, source.encoding, list(source.warnings), first + 1,
                   lines, dialect, _CONTROL.search(source.text) is not None,
                   "\r" in source.text)


def read_csv(source: DecodedText, *, rename: Callable[[str], str] | None = None) -> CsvTable:
    """The header and every record of a CSV text, strictly (see the module's rules).

    ``rename`` maps each header name (stripped) to the column name used (aliases of a
    domain's import). Invalid when the header itself is unusable.
    """
    file = open_csv(source, rename=rename)
    return CsvTable(file.columns, list(file.records()), file.delimiter, file.encoding,
                    file.warnings)


def _records(lines: _Lines, first: int, dialect: dict, width: int):
    """(start line, fields or None, problem or None) for each record from line
    index ``first``. A record spanning several lines that is malformed, or one of whose
    continuation lines is a whole record by itself, is an unclosed quote: it is reported
    and the reading starts again on the line after its first."""
    position = first
    while position < len(lines):
        reader = csv.reader(lines.iter_from(position), **dialect)
        done = 0
        while True:
            try:
                row, problem = next(reader), None
            except StopIteration:
                return
            except csv.Error as exc:
                row, problem = None, exc
            start, end = position + done + 1, position + reader.line_num
            done = reader.line_num
            if end > start and (problem is not None or len(row) != width or any(
                    _is_record(lines[i], dialect, width) for i in range(start, end - 1))):
                yield start, None, f"guillemet ouvert ligne {start} jamais refermé"
                position = start  # the line after the record's first
                break
            yield start, row, None if problem is None else _csv_reason(problem, start)


def _is_record(line: str, dialect: dict, width: int) -> bool:
    """Whether a line inside a quoted value would be a whole record by itself: as many
    fields as the header and balanced quotes (the line closing the value is not)."""
    if line.count('"') % 2:
        return False
    try:
        return len(next(csv.reader([line], **{**dialect, "strict": False}), [])) == width
    except csv.Error:
        return False


# -- values of a row -----------------------------------------------------------------------
# A date « AAAA-MM-JJ » and a number within its plausible range (French decimal comma
# accepted), each refused with a French ``ValueError`` naming the column: the values of the
# daily series users give (heat waves, fire weather, forecasts, degree days…).

def parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"date « {text.strip()[:20]} » invalide, AAAA-MM-JJ attendu") from None


# Spaces a spreadsheet writes between digit groups: « 2 450,5 », « 1 200 » (no-break
# and narrow no-break spaces included).
_DIGIT_SPACES = re.compile(r"(?<=\d)[ \u00a0\u202f](?=\d{3}(?:\D|$))")


def number_text(text: str) -> str:
    """A number as a French spreadsheet writes it (« 12 345,6 », « −3 ») as Python reads it
    (« 12345.6 », « -3 »): digit groups of three joined, decimal comma, minus sign. A space
    elsewhere stays, and the text is then no number (« 12 34,5 »)."""
    return _DIGIT_SPACES.sub("", text).replace(",", ".").replace("\u2212", "-")


def parse_number(text: str, label: str, low: float, high: float, unit: str) -> float:
    try:
        value = float(number_text(text.strip()))
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise ValueError(f"{label} « {text.strip()[:20]} » invalide, nombre attendu")
    if not low <= value <= high:
        raise ValueError(f"{label} {value:g} {unit} hors de l'intervalle plausible "
                         f"({low:g} à {high:g} {unit})")
    return value
