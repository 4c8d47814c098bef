"""The text-file reader every import shares: strict decoding and strict CSV records."""

from __future__ import annotations

import pytest

from beffroi.core.errors import Invalid
from beffroi.core.textfiles import DecodedText, decode, parse_number, read_csv


def refusal(raw: bytes) -> dict:
    with pytest.raises(Invalid) as caught:
        decode(raw)
    [error] = caught.value.errors
    assert error["message"][0].upper() + error["message"][1:] == caught.value.detail
    return error


def test_utf8_with_or_without_bom_is_read_as_utf8():
    text = "ref;nom\nA;Œuvre « l’église » – 5 €\n"
    for raw in (text.encode(), b"\xef\xbb\xbf" + text.encode()):
        decoded = decode(raw)
        assert (decoded.text, decoded.encoding, decoded.warnings) == (text, "utf-8", ())
    assert decode(b"ref\nA\n").encoding == "utf-8"  # plain ASCII


def test_utf8_file_with_one_stray_byte_is_refused_with_its_line_and_column():
    raw = "ref;nom\nA;Église\nB;Chapelle Saint-Éloi\nC;Caf".encode() + b"\xff" + b"\n"
    error = refusal(raw)
    assert (error["line"], error["column"]) == (4, 6)  # "C;Caf" then the byte
    assert error["message"] == (
        "fichier UTF-8 contenant un octet invalide (0xFF) ligne 4, colonne 6 : corrigez-le "
        "ou réenregistrez le fichier en UTF-8")
    # a BOM declares UTF-8: an invalid byte after it is never read as Windows-1252
    error = refusal(b"\xef\xbb\xbfref\r\n\xe9cole\r\n")
    assert (error["line"], error["column"]) == (2, 1)


def test_genuine_windows_1252_is_accepted_and_said():
    text = "ref;nom;note\r\nA;Église;cœur – 5 € « 2×3 m² » l’été\r\nB;ŒUVRE Noël;n° 7\r\n"
    decoded = decode(text.encode("cp1252"))
    assert decoded.text == text and decoded.encoding == "windows-1252"
    assert decoded.encoding_label == "Windows-1252"
    assert "Windows-1252" in decoded.warnings[0]
    # Latin-1 printable text is Windows-1252 text
    assert decode("Épinal;Saint-Dié".encode("latin-1")).encoding == "windows-1252"


def test_windows_1252_that_happens_to_be_valid_utf8_is_still_windows_1252():
    # « É » (C9) then a no-break space (A0) is the UTF-8 of « ɠ »: nothing else is non-ASCII
    raw = "nom\nCAFÉ\u00a0: OUVERT\n".encode("cp1252")
    assert raw.decode("utf-8") == "nom\nCAFɠ: OUVERT\n"
    decoded = decode(raw)
    assert decoded.encoding == "windows-1252" and decoded.text == "nom\nCAFÉ\u00a0: OUVERT\n"
    assert decode("Москва\n".encode()).encoding == "utf-8"  # other scripts stay UTF-8


@pytest.mark.parametrize("encoding, text, char, column", [
    ("mac_roman", "ref;nom\nA;église\n", "Ž", 3),        # Mac Roman « é » is 0x8E
    ("cp850", "ref;nom\nA;église\n", "‚", 3),            # DOS « é » is 0x82
    ("iso-8859-15", "ref;nom\nA;le cœur\n", "½", 7),     # ISO-8859-15 « œ » inside a word
])
def test_other_legacy_encodings_are_refused_not_misread(encoding, text, char, column):
    error = refusal(text.encode(encoding))
    assert (error["line"], error["column"]) == (2, column)
    assert f"caractère « {char} » inattendu ligne 2, colonne {column}" in error["message"]


def test_bytes_undefined_in_windows_1252_refuse_the_file():
    error = refusal(b"ref;nom\nA;B\x81C\n")
    assert error["message"].startswith("octet 0x81 ligne 2, colonne 4 inconnu en UTF-8 comme "
                                       "en Windows-1252")


@pytest.mark.parametrize("raw, fragment", [
    ("ref;nom\nA;B\n".encode("utf-16"), "UTF-16"),
    ("ref;nom\nA;B\n".encode("utf-16-le"), "UTF-16"),
    (b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)), "classeur Excel"),
])
def test_utf16_and_spreadsheets_are_refused_with_advice(raw, fragment):
    assert fragment in refusal(raw)["message"]


def csv_of(text: str, **kw):
    return read_csv(DecodedText(text, "utf-8"), **kw)


def test_separator_comes_from_the_header_and_quotes_are_doubled():
    # 4 KB of rows without a doubled quote made csv.Sniffer turn doublequote off
    rows = "".join(f"R{i},Site {i},88383\n" for i in range(300))
    table = csv_of("ref,name,commune\n" + rows + 'Q,"Salle ""polyvalente"", bât. A",88383\n')
    assert table.delimiter == ","
    assert table.records[-1].values == {"ref": "Q", "name": 'Salle "polyvalente", bât. A',
                                        "commune": "88383"}
    assert table.records[-1].line == 302
    semicolons = csv_of("ref;name;lon\nA;Mairie, annexe;6,5\n")
    assert semicolons.delimiter == ";"
    assert semicolons.records[0].values == {"ref": "A", "name": "Mairie, annexe", "lon": "6,5"}
    assert csv_of("ref\tname\nA\tB, C; D\n").records[0].values == {"ref": "A", "name": "B, C; D"}
    assert csv_of("sep=;\nref;name\nA;B, C\n").records[0].values == {"ref": "A", "name": "B, C"}
    with pytest.raises(Invalid, match="Séparateur ambigu"):
        csv_of("ref;name,commune\n")


def test_line_breaks_inside_quotes_are_values_and_lines_are_physical():
    table = csv_of('ref,name,note\r\nA,"Mairie\r\nannexe","x\ry"\r\n\r\nB,"École\nprimaire",z\r'
                   'C,Gare,w\r\n')
    # lines: 2-4 A (a CR inside quotes is a line break too), 5 empty, 6-7 B (its lone CR
    # outside quotes ends line 7), 8 C
    assert [(r.line, r.values) for r in table.records] == [
        (2, {"ref": "A", "name": "Mairie\nannexe", "note": "x\ny"}),
        (6, {"ref": "B", "name": "École\nprimaire", "note": "z"}),
        (8, {"ref": "C", "name": "Gare", "note": "w"}),
    ]


def test_malformed_records_are_reported_with_their_line_and_the_rest_is_read():
    table = csv_of(
        "ref;name;commune\n"            # 1
        "A;ok;88383\n"                  # 2
        'B;"abc"def;88383\n'            # 3 text after a closing quote
        "C;trop;de;champs\n"            # 4
        "D;court\n"                     # 5
        "\n"                            # 6 empty: skipped
        ";;\n"                          # 7 separators only: skipped
        "E;nul\x00;88383\n"             # 8
        'F;"Eglise;88383\n'             # 9 quote never closed…
        "G;Ecole;88383\n"               # 10 …these lines are read again
        "H;Gare;88383\n")               # 11
    got = [(r.index, r.line, r.values["ref"] if r.values else r.problem) for r in table.records]
    assert got == [
        (0, 2, "A"),
        (1, 3, "caractère après un guillemet fermant (un guillemet dans une valeur entre "
               "guillemets s'écrit \"\")"),
        (2, 4, "4 champs au lieu de 3 (en-tête ligne 1) ; une valeur contenant le séparateur "
               "doit être entre guillemets"),
        (3, 5, "2 champs au lieu de 3 (en-tête ligne 1) ; une valeur contenant le séparateur "
               "doit être entre guillemets"),
        (4, 8, "caractère de contrôle U+0000 (NUL) dans la colonne « name »"),
        (5, 9, "guillemet ouvert ligne 9 jamais refermé"),
        (6, 10, "G"),
        (7, 11, "H"),
    ]


def test_a_quote_closed_lines_later_does_not_swallow_the_rows_between():
    table = csv_of('ref,name,commune\nA,"Mairie,88383\nB,Ecole,88383\nC,Gare",88383\nD,x,1\n')
    assert [(r.line, r.problem or r.values["name"]) for r in table.records] == [
        (2, "guillemet ouvert ligne 2 jamais refermé"), (3, "Ecole"), (4, 'Gare"'), (5, "x")]


def test_header_rules():
    with pytest.raises(Invalid, match="vide ou sans en-tête"):
        csv_of("")
    with pytest.raises(Invalid, match="« ref » et « ref »"):
        csv_of("ref;name;ref\nA;B;C\n")
    with pytest.raises(Invalid, match="« id » et « num_pl » désignent toutes deux « ref »"):
        csv_of("id;num_pl\n1;2\n", rename=lambda name: "ref" if name in ("id", "num_pl") else name)
    # an unnamed column (trailing separator) is ignored while it stays empty
    table = csv_of("ref;name;\nA;B;\nC;D;oups\n")
    assert table.columns == ["ref", "name", ""]
    assert table.records[0].values == {"ref": "A", "name": "B"}
    assert table.records[1].problem == "valeur dans la colonne n° 3, sans nom dans l'en-tête"


@pytest.mark.parametrize(("text", "expected"), [
    ("12,5", 12.5), ("12.5", 12.5), (" 3 ", 3.0), ("12 345,6", 12345.6),
    ("1\u00a0234\u00a0567,25", 1234567.25), ("12\u202f345", 12345.0), ("\u22123,5", -3.5),
    ("-1 200", -1200.0)])
def test_numbers_as_french_spreadsheets_write_them(text, expected):
    """Digit groups of three (spaces, no-break spaces), decimal comma, minus sign."""
    assert parse_number(text, "valeur", -1e9, 1e9, "") == expected


@pytest.mark.parametrize("text", ["12 34,5", "1 2345", "12,345,6", "1.234,5", "", "abc",
                                  "nan", "inf"])
def test_what_is_no_number_is_refused(text):
    with pytest.raises(ValueError, match="nombre attendu"):
        parse_number(text, "valeur", -1e9, 1e9, "")
