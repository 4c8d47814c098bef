"""Every chart's values as a table (RGAA: a chart is a complex image, its detailed text
alternative is the data it plots): under each chart made by ``charts.makeChart``, a
disclosure « Voir les valeurs (tableau) » opened with the keyboard shows a table with a
caption, column headers (``scope="col"``, units included), one row per x value (its row
header) and the values the test itself stored or read from the API the page used, written
the French way; a missing value is « — », said « pas de valeur »."""

# (the fixtures of the domains' tests, imported, are then named as the tests' arguments)
# ruff: noqa: F811
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest

from beffroi.core import streams
from beffroi.core.access import CLI, open_scope
from beffroi.core.observations import store_rows

from .conftest import AT_DESK, ON_PHONE, assert_accessible, login, screenshot
from .french_dates import MONTHS, date_time, long_date, short_date
from .test_buildings_ui import buildings  # noqa: F401  (the buildings fixture)
from .test_lighting_ui import lighting_fixture  # noqa: F401  (the lighting fixture)
from .test_risks_ui import gauge  # noqa: F401  (the gauge fixture)
from .test_water_ui import water_fixture  # noqa: F401  (the water fixture)

PARIS = ZoneInfo("Europe/Paris")
HOUR_MS = 3_600_000
MISSING = "—"


def french(value: float | None, digits: int) -> str:
    """A number as ``common.formatNumber`` writes it (Intl fr-FR, at most ``digits``
    decimals, halves away from zero — of the shortest decimal that reads back as the same
    double, as ICU rounds: 1.2625 → « 1,263 »), with plain spaces between thousands; « — »
    for none."""
    if value is None:
        return MISSING
    rounded = Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-digits), ROUND_HALF_UP)
    text = f"{abs(rounded):,.{digits}f}".replace(",", " ")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    text = text.replace(".", ",")
    return f"-{text}" if rounded < 0 and text != "0" else text


def kwh_number(value: float | None) -> str:
    """``lighting.kwhNumber``: no decimals from 100 kWh on, one below."""
    return MISSING if value is None else french(value, 0 if abs(value) >= 100 else 1)


def _plain(text: str) -> str:
    return " ".join(text.replace("\u202f", " ").replace("\xa0", " ").split())


READ = """details => {
  const table = details.querySelector("table");
  const text = (e) => e.textContent;
  const cell = (c) => {
    const hidden = c.querySelector(".visually-hidden");
    const shown = c.querySelector('[aria-hidden="true"]');
    return hidden ? { text: shown ? shown.textContent : null, said: hidden.textContent,
      missing: c.classList.contains("missing") } : { text: c.textContent };
  };
  return {
    caption: text(table.querySelector("caption")),
    captionFirst: table.firstElementChild.tagName === "CAPTION",
    headers: [...table.querySelectorAll("thead th")].map((th) => [text(th), th.getAttribute("scope")]),
    rows: [...table.querySelectorAll("tbody tr")].map((tr) => ({
      scope: tr.querySelector("th").getAttribute("scope"),
      cells: [...tr.children].map(cell) })),
    region: { tabindex: details.querySelector(".table-wrap").getAttribute("tabindex"),
      role: details.querySelector(".table-wrap").getAttribute("role"),
      label: details.querySelector(".table-wrap").getAttribute("aria-label") },
  };
}"""


def open_values(page, scope, name: str):
    """Open the chart's table of ``scope`` with the keyboard (its summary focused, Enter)
    and read it: {caption, headers [(text, scope)], rows [[cell texts]]}; each missing
    value checked to be « — » shown and « pas de valeur » said. Its summary says « Voir les
    valeurs (tableau) », and to screen readers the chart's ``name`` too."""
    details = scope.locator("details.chart-values")
    assert details.count() == 1
    assert details.locator("table").count() == 0  # built when opened, not before
    summary = details.locator("summary")
    assert _plain(summary.text_content()) == f"Voir les valeurs (tableau) : {name}"
    assert _plain(summary.locator(".visually-hidden").text_content()) == f": {name}"
    summary.focus()
    page.keyboard.press("Enter")
    details.locator("table").wait_for()
    read = details.evaluate(READ)
    assert read["captionFirst"]
    assert all(scope == "col" for _, scope in read["headers"]), read["headers"]
    assert all(row["scope"] == "row" for row in read["rows"])
    # The table scrolls in its own region, which the keyboard reaches next and that is
    # named as the table.
    assert read["region"] == {"tabindex": "0", "role": "region", "label": read["caption"]}
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.classList.contains('table-wrap')"
                         " && document.activeElement.closest('details') !== null")
    rows = []
    for row in read["rows"]:
        texts = []
        for cell in row["cells"]:
            if "said" in cell:
                assert cell == {"text": MISSING, "said": "pas de valeur", "missing": True}, cell
                texts.append(MISSING)
            else:
                texts.append(_plain(cell["text"]))
        rows.append(texts)
    return {"caption": _plain(read["caption"]),
            "headers": [_plain(h) for h, _ in read["headers"]], "rows": rows}


def _api(page, server, path: str, params: dict | None = None):
    response = page.request.get(f"{server.url}/api/v1{path}", params=params)
    assert response.ok, response.text()
    return response.json()


# -- the asset page ---------------------------------------------------------------------------
RESET = 7  # the hour (from the day's first) the meter was reset: no consumption then
GAP = 4  # the hour (from the day's first) without a power reading


def _increment(k: int) -> float:
    return 1.25 + 0.5 * (k % 4)  # kWh in hour k: exact in binary, two decimals


@pytest.fixture
def measured_day(web_db, web_registry, territory) -> dict:
    """Cabinet 2 gets a meter (an index every hour, reset once) and a power sensor (one
    value an hour, one hour missing) over one whole day, ten days ago (Paris time)."""
    day = datetime.now(PARIS).date() - timedelta(days=10)
    start = int(datetime.combine(day, time(0), PARIS).timestamp() * 1000)
    end = int(datetime.combine(day + timedelta(days=1), time(0), PARIS).timestamp() * 1000)
    hours = list(range(start, end, HOUR_MS))  # 23 to 25 across a clock change
    t, cabinet = territory["tenant"], territory["cabinets"][1]
    consumption, power = [], []
    with web_db.write() as conn:
        scope = open_scope(web_db, conn, CLI, t)
        meter = streams.create_stream(scope, conn, web_registry, {
            "asset_id": cabinet, "metric": "energy.active_import"})
        sensor = streams.create_stream(scope, conn, web_registry, {
            "asset_id": cabinet, "metric": "power.active"})
        index = 100.0
        rows = [(t, meter.id, start - HOUR_MS, index, 0)]  # the hour before: the first delta
        for k, at in enumerate(hours):
            if k == RESET:
                index = 3.0
                consumption.append(None)
            else:
                index += _increment(k)
                consumption.append(_increment(k))
            rows.append((t, meter.id, at, index, 0))
            if k != GAP:
                power.append((at, 10 + 0.25 * k))
                rows.append((t, sensor.id, at, 10 + 0.25 * k, 0))
        store_rows(scope, conn, rows, PARIS)
    return {"cabinet": cabinet, "day": day, "hours": hours, "consumption": consumption,
            "power": power, "meter": meter.id, "sensor": sensor.id}


@ON_PHONE
def test_asset_page_charts_show_their_values_as_tables(page, server, size, measured_day):
    m = measured_day
    day = m["day"]
    with page.expect_response(lambda r: "/lighting/cabinets/" in r.url
                              and "/energy?" in r.url) as answer:
        login(page, server, then=f"/equipements/{m['cabinet']}")
    page.locator("[data-chart-ready]").wait_for(state="attached")
    page.locator("body[data-ready]").wait_for(state="attached")

    # The cabinet's panel (lighting): the energy of the last 30 days, measured and expected,
    # as the API answered the page.
    page.locator(".lighting-panel #lp-energy-plot .uplot").wait_for(state="attached")
    energy, asked = answer.value.json(), parse_qs(urlsplit(answer.value.url).query)
    first, last = (date.fromisoformat(asked[k][0]) for k in ("from", "to"))
    panel = open_values(page, page.locator(".lighting-panel"),
                        "Énergie mesurée et attendue, 30 derniers jours")
    assert panel["caption"] == ("Énergie mesurée et attendue par jour, du "
                                f"{short_date(first)} au {short_date(last)}")
    assert panel["headers"] == ["Jour", "Mesuré (kWh)", "Attendu (kWh)"]
    assert panel["rows"] == [[short_date(date.fromisoformat(p["period"])),
                              kwh_number(p["measured_kwh"]), kwh_number(p["expected_kwh"])]
                             for p in energy["points"]]
    assert len(panel["rows"]) == 30
    page.get_by_label("Personnalisée").check()
    page.get_by_label("Du", exact=True).fill(day.isoformat())
    page.get_by_label("Au", exact=True).fill(day.isoformat())
    page.get_by_label("Au", exact=True).press("Enter")
    page.locator('#charts[data-period="custom"]').wait_for(state="attached")
    period = f"du {short_date(day)}, 00:00 au {short_date(day + timedelta(days=1))}, 00:00"
    at = [datetime.fromtimestamp(ms / 1000, PARIS) for ms in m["hours"]]

    # The meter (a counter): its consumption hour by hour, the hour of its reset missing.
    meter = open_values(page, page.locator(f'.chart[data-stream-id="{m["meter"]}"]'),
                        "Énergie active consommée (index) — consommation par heure")
    assert meter["caption"] == ("Énergie active consommée (index) — consommation par heure, "
                                + period)
    assert meter["headers"] == ["Date et heure", "Consommation par heure (kWh)"]
    assert meter["rows"] == [[date_time(a), french(v, 2)]
                             for a, v in zip(at, m["consumption"], strict=True)]
    assert meter["rows"][RESET][1] == MISSING

    # The power (a gauge): one row per hour measured.
    power = open_values(page, page.locator(f'.chart[data-stream-id="{m["sensor"]}"]'),
                        "Puissance active")
    assert power["caption"] == f"Puissance active, {period}"
    assert power["headers"] == ["Date et heure", "Puissance active (kW)"]
    assert power["rows"] == [[date_time(datetime.fromtimestamp(ms / 1000, PARIS)), french(v, 2)]
                             for ms, v in m["power"]]
    assert len(power["rows"]) == len(m["hours"]) - 1

    # On a phone: the table scrolls in its region, the page itself never sideways.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert_accessible(page)
    screenshot(page, "graphique-tableau-equipement", size)

    # Another period: the open table follows the chart drawn again.
    page.get_by_label("Année").check()
    page.locator('#charts[data-period="year"]').wait_for(state="attached")
    details = page.locator(f'.chart[data-stream-id="{m["sensor"]}"] details.chart-values')
    assert details.locator("table").count() == 0  # a new chart: closed, built when opened

    # A period without any value: the table says so rather than show headers over nothing.
    page.get_by_role("radio", name="Jour", exact=True).check()
    page.locator('#charts[data-period="day"]').wait_for(state="attached")
    details.locator("summary").focus()
    page.keyboard.press("Enter")
    empty = details.locator(".table-wrap p")
    empty.wait_for()
    assert _plain(empty.inner_text()).startswith("Puissance active, du ")
    assert _plain(empty.inner_text()).endswith(" : aucune valeur.")
    assert details.locator("table").count() == 0


@AT_DESK
def test_a_chart_drawn_again_keeps_its_table_open_and_up_to_date(page, server, size, gauge):
    """The gauge's panel: the level of the last 72 hours, as the API gave it, then of the
    last 24 hours once chosen, in the table left open."""
    login(page, server, then=f"/equipements/{gauge['gauge']}")
    panel = page.locator(".station-panel[data-ready='72']")
    panel.wait_for(state="attached")
    path = f"/tenants/{gauge['tenant']}/risks/stations/{gauge['gauge']}/level"

    def expected(hours: int) -> list[list[str]]:
        points = _api(page, server, path, {"hours": hours})["points"]
        return [[date_time(datetime.fromisoformat(t.replace("Z", "+00:00"))), french(v, 3)]
                for t, v in points]

    table = open_values(page, page.locator(".station-panel"),
                        "Hauteur d'eau, seuils de vigilance et crues historiques")
    assert table["caption"].startswith("Hauteur d'eau des 72 dernières heures, du ")
    assert table["headers"] == ["Date et heure", "Hauteur d'eau (m)"]
    assert table["rows"] == expected(72)
    assert len(table["rows"]) == 288  # 72 h at 15 min, none cut
    assert_accessible(page)

    page.get_by_label("Période").select_option("24")
    page.locator(".station-panel[data-ready='24']").wait_for(state="attached")
    details = page.locator(".station-panel details.chart-values")
    assert details.get_attribute("open") is not None
    assert details.locator("tbody tr").count() == 96
    assert _plain(details.locator("caption").inner_text()).startswith(
        "Hauteur d'eau des 24 dernières heures")
    rows = [[_plain(c) for c in r.locator("th, td").all_inner_texts()]
            for r in details.locator("tbody tr").all()]
    assert rows == expected(24)


# -- one chart per domain page ----------------------------------------------------------------
@AT_DESK
def test_lighting_dashboard_months_as_a_table(page, server, size, lighting):
    login(page, server, email="elu@cc-vosges.fr", then="/eclairage")
    page.locator("body[data-ready]").wait_for(state="attached")
    s = _api(page, server, f"/tenants/{lighting['tenant']}/lighting/summary")
    y = s["year"]
    table = open_values(page, page.locator("section[aria-labelledby='months-title']"),
                        "Consommation mois par mois")
    assert table["caption"] == f"Consommation mois par mois, {y - 1} et {y}"
    assert table["headers"] == ["Mois", f"{y - 1} (kWh)", f"{y} (kWh)", "Attendu (kWh)"]
    assert table["rows"] == [
        [MONTHS[i], kwh_number(m["previous_kwh"]), kwh_number(m["kwh"]),
         kwh_number(m["expected_kwh"])] for i, m in enumerate(s["energy"]["months"])]
    assert_accessible(page)


@AT_DESK
def test_water_sector_night_flow_as_a_table(page, server, size, water):
    login(page, server, then=f"/equipements/{water['A']}")
    page.locator(".water-panel[data-ready='90']").wait_for(state="attached")
    data = _api(page, server, f"/tenants/{water['tenant']}/water/sectors/{water['A']}/night-flow",
                {"days": 90})
    nights = data["nights"]
    table = open_values(page, page.locator(".water-panel"),
                        "Débit minimum de nuit et bande de référence")
    assert table["caption"] == ("Débit minimum de nuit et bande de référence, du "
                                f"{long_date(nights[0]['date'])} au {long_date(nights[-1]['date'])}")
    assert table["headers"] == ["Nuit du", "Bas de la bande (m³/h)", "Haut de la bande (m³/h)",
                                "Référence (m³/h)", "Débit minimum de nuit (m³/h)",
                                "Consommation légitime (m³/h)"]
    assert table["rows"] == [
        [long_date(n["date"])] + [french(n[key], 2) for key in (
            "band_low_m3h", "band_high_m3h", "reference_m3h", "minimum_m3h")]
        + [french(data["legitimate_night_use_m3h"], 2)] for n in nights]
    assert_accessible(page)
    screenshot(page, "graphique-tableau-secteur", size)


@AT_DESK
def test_building_signature_as_a_table(page, server, size, buildings):
    year, school = buildings["year"], buildings["ids"]["École du Centre"]
    login(page, server, then=f"/equipements/{school}")
    page.locator(".signature-panel[data-ready='true']").wait_for(state="attached")
    d = _api(page, server, f"/tenants/{buildings['tenant']}/buildings/{school}/signature",
             {"year": year})
    points = sorted((m for m in d["months"] if m.get("dju") is not None and m.get("kwh") is not None),
                    key=lambda m: m["dju"])
    slope, base = d["fit"]["slope"], d["fit"]["intercept"]
    table = open_values(page, page.locator(".signature-panel"),
                        f"Signature énergétique de {year}")
    assert table["caption"] == (f"Signature énergétique de {year} : consommation de chaque mois "
                                "selon ses degrés-jours, et droite ajustée")
    assert table["headers"] == ["Degrés-jours unifiés (DJU)", "Consommation du mois (kWh)",
                                "Droite ajustée (kWh)"]
    assert table["rows"] == [[french(m["dju"], 1), french(m["kwh"], 0),
                              french(slope * m["dju"] + base, 0)] for m in points]
    assert len(table["rows"]) == 12

    # The trajectory: a row a year from the reference to the first target, the consumption
    # as the API gives it, the target path from the reference's consumption to the target's.
    t = _api(page, server, f"/tenants/{buildings['tenant']}/buildings/{school}/trajectory")
    ref, target = t["reference"], min(t["targets"], key=lambda g: g["year"])
    measured = {ref["year"]: ref["kwh"], **{y["year"]: y["kwh"] for y in t["years"]}}
    table = open_values(page, page.locator(".trajectory-panel"),
                        "Trajectoire du décret tertiaire")
    assert table["caption"] == ("Trajectoire du décret tertiaire : consommation, corrigée du "
                                f"climat, et objectif, de {ref['year']} à {target['year']}")
    assert table["headers"] == ["Année", "Consommation (kWh)", "Corrigée du climat (kWh)",
                                "Objectif (kWh)"]
    rows = {int(row[0]): row[1:] for row in table["rows"]}
    assert list(rows) == list(range(ref["year"], target["year"] + 1))
    assert {y: rows[y][0] for y in rows} == {y: french(measured.get(y), 0) for y in rows}
    assert rows[ref["year"]][2] == french(ref["kwh"], 0)
    assert rows[target["year"]][2] == french(target["kwh"], 0)
    assert_accessible(page)
