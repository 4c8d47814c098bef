"""The pages write units as the server's reports do: common.js's UNIT_SYMBOLS is the same
list as core.french_format's."""

from __future__ import annotations

import json
import re
from pathlib import Path

from beffroi.core.french_format import UNIT_SYMBOLS, unit_symbol

COMMON_JS = Path(__file__).parents[2] / "src/beffroi/web/static/js/common.js"


def _js_symbols() -> dict[str, str]:
    body = re.search(r"export const UNIT_SYMBOLS = \{(.*?)\};", COMMON_JS.read_text("utf-8"),
                     re.S).group(1)
    pairs = re.findall(r'("[^"]*"|[\w.]+):\s*"([^"]*)"', body)
    return {json.loads(k) if k.startswith('"') else k: v for k, v in pairs}


def test_the_pages_and_the_reports_write_units_alike():
    assert _js_symbols() == UNIT_SYMBOLS
    assert unit_symbol("kW.h") == "kWh" and unit_symbol("1") == "" and unit_symbol(None) == ""
    assert unit_symbol("lx") == "lx"  # an unknown code is shown as it is
