"""A number typed in a form is read one way on every page (common.parseNumber): the
French way, and nothing else taken for a number."""

from __future__ import annotations

from web.conftest import AT_DESK

NUMBERS = [("12,5", 12.5), ("1 200", 1200), ("1\u202f234,5", 1234.5), ("1\u00a0000", 1000),
           ("-3", -3), ("\u22123,5", -3.5), ("+7", 7), (",5", 0.5), ("2.", 2), ("1e3", 1000),
           ("0", 0)]
NOT_NUMBERS = ["", "abc", "0x10", "Infinity", "1,2,3", "12 m", "--1", "1e", "."]


@AT_DESK
def test_french_numbers_are_read_and_the_rest_given_back_as_typed(page, server, size):
    page.goto(f"{server.url}/connexion")
    read = page.evaluate(
        "async (texts) => { const m = await import('/static/js/common.js');"
        " return texts.map((t) => m.parseNumber(t)); }",
        [text for text, _ in NUMBERS] + NOT_NUMBERS)
    assert read == [value for _, value in NUMBERS] + NOT_NUMBERS
    # The water forms' reading: the same, an empty field being no value.
    water = page.evaluate(
        "async (texts) => { const m = await import('/static/domains/water/water.js');"
        " return texts.map((t) => m.parseFrench(t)); }", ["  ", " 120 000 ", "0x10", "3,25"])
    assert water == [None, 120000, "0x10", 3.25]
