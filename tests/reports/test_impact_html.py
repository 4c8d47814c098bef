"""The impact report as HTML (the /impact page's fragment and the printable document), from a
report dict written in the test (report_fixture): figures the French way, the net always
shown with its sign, unknown figures as « non disponible », unverified settings « À vérifier »,
names escaped, monthly charts as accessible SVG with their data in a table."""

from __future__ import annotations

import re

import pytest

from beffroi.reports.impact_chart import nice_step
from beffroi.reports.impact_html import render_html

from .report_fixture import report
from .report_text import MINUS, NBSP, NNBSP, html_text, row_cells


@pytest.fixture(params=[False, True], ids=["fragment", "document"])
def for_print(request) -> bool:
    return request.param


def kwh(text: str) -> str:
    return f"{text}{NBSP}kWh"


def test_headline_gross_footprint_and_net_the_french_way(for_print):
    html = render_html(report(), for_print=for_print)
    # gross 12 345,678 kWh, 5 769,136 €, 688,055 kg, 1 575,25 m³: whole units from 100 on
    assert row_cells(html, "Gains bruts") == [
        kwh(f"12{NNBSP}346"), f"5{NNBSP}769{NBSP}€", f"688{NBSP}kg{NBSP}CO₂e", f"1{NNBSP}575{NBSP}m³"]
    # the footprint has no water at all: « sans objet », not 0 nor « non disponible »
    assert row_cells(html, "Empreinte de la plateforme (à déduire)") == [
        kwh("310"), f"120{NBSP}€", f"900{NBSP}kg{NBSP}CO₂e", "sans objet"]
    # net: gross − footprint as the report gives it, the negative one with its minus sign
    assert row_cells(html, "Gains nets (gains bruts − empreinte)") == [
        kwh(f"12{NNBSP}036"), f"5{NNBSP}649{NBSP}€", f"{MINUS}212{NBSP}kg{NBSP}CO₂e",
        f"1{NNBSP}575{NBSP}m³"]
    text = html_text(html)
    assert f"Gains nets négatifs pour émissions{NBSP}:" in text
    # small figures keep decimals, with a decimal comma: 46,08 kg -> 46,1 ; 20,5 kg
    assert f"46,1{NBSP}kg{NBSP}CO₂e" in text and f"20,5{NBSP}kg{NBSP}CO₂e" in text
    assert f"SIREN{NBSP}200{NNBSP}068{NNBSP}377" in text
    assert f"du 1er janvier 2026 au 31 mars 2026 (90{NBSP}jours)" in text


def test_the_net_is_never_hidden(for_print):
    r = report()
    r["net"] = {"kwh": None, "eur": None, "kgco2e": None, "m3": None}
    r["domains"] = []
    html = render_html(r, for_print=for_print)
    assert row_cells(html, "Gains nets (gains bruts − empreinte)") == ["non disponible"] * 4
    assert "Gains nets, énergie non disponible" in html_text(html)
    assert "Gains nets négatifs" not in html_text(html)


def test_a_positive_net_says_nothing_of_a_negative_one(for_print):
    r = report()
    r["net"]["kgco2e"] = 0.0
    text = html_text(render_html(r, for_print=for_print))
    assert "Gains nets négatifs" not in text
    assert f"Gains nets, émissions 0{NBSP}kg{NBSP}CO₂e" in text


def test_unknown_figures_are_not_available_never_zero(for_print):
    r = report()
    r["gross"]["m3"] = None
    html = render_html(r, for_print=for_print)
    assert row_cells(html, "Gains bruts")[3] == "non disponible"
    # water in February: no figure at all (the month is in the table, « non disponible »)
    water = html[html.index('id="ir-water"'):html.index('id="ir-risks"')]
    assert row_cells(water, "février 2026") == ["non disponible", "non disponible"]
    # a footprint part without energy
    assert row_cells(html, "Fabrication des capteurs")[:3] == [
        "non disponible", "non disponible", f"840{NBSP}kg{NBSP}CO₂e"]
    assert not re.search(rf"(?<![\d{NNBSP},]){MINUS}?0{NBSP}m³", html_text(html))
    # water has no energy figure anywhere: no energy column in its tables
    assert "Énergie" not in html_text(water)


def test_each_domain_with_its_baseline_method_coverage_and_quality(for_print):
    r = report()
    html = render_html(r, for_print=for_print)
    text = html_text(html)
    positions = [text.index(d["label"]) for d in r["domains"]]
    assert positions == sorted(positions)  # in the report's order
    lighting = html_text(html[html.index('id="ir-lighting"'):html.index('id="ir-water"')])
    assert f"Qualité des données{NBSP}: mesuré" in lighting
    assert "Référence Allumage du crépuscule à l'aube à pleine puissance." in lighting
    assert "86 % — 12 armoires sur 14 mesurées".replace(" %", f"{NNBSP}%") in lighting
    assert f"Heures de nuit noire restituées{NBSP}: 1{NNBSP}520" in lighting
    water = html_text(html[html.index('id="ir-water"'):html.index('id="ir-risks"')])
    assert f"Qualité des données{NBSP}: estimé" in water
    assert "Couverture des données 3 secteurs sur 5 équipés" in water  # share unknown
    risks = html_text(html[html.index('id="ir-risks"'):html.index('id="ir-trips-title"')])
    assert "ne chiffre pas de gain" in risks
    assert f"Alertes envoyées avant un événement{NBSP}: 3" in risks
    footprint = html_text(html[html.index('id="ir-footprint-title"'):])
    assert f"Qualité{NBSP}: supposé" in footprint  # the devices' embodied emissions
    assert row_cells(html, "Capteurs LoRaWAN") == ["120", f"600{NBSP}kg{NBSP}CO₂e"]


def test_counts_with_unit_note_or_unknown_value(for_print):
    r = report()
    r["domains"][2]["counts"] = [
        {"key": "risks.alerts_ahead", "label": "Avance moyenne des alertes", "value": 2.5,
         "unit": "h", "note": "sur 3 crues"},
        {"key": "risks.other", "label": "Crues évitées", "value": None}]
    text = html_text(render_html(r, for_print=for_print))
    assert f"Avance moyenne des alertes{NBSP}: 2,5{NBSP}h — sur 3 crues" in text
    assert f"Crues évitées{NBSP}: non disponible" in text


def test_settings_annex_says_which_values_are_to_be_checked(for_print):
    html = render_html(report(), for_print=for_print)
    grid = row_cells(html, "Facteur d'émission de l'électricité")
    assert grid == [f"0,052{NBSP}kg{NBSP}CO₂e/kWh", "ADEME Base Carbone, mix moyen (2024)",
                    "À vérifier valeur par défaut"]  # no date of their own: in the source
    price = row_cells(html, "Prix de l'électricité")
    assert price[0] == f"0,2{NBSP}€/kWh"
    assert price[2] == "Vérifié valeur du territoire"
    assert html_text(html).count("À vérifier") == 2  # the unverified one + the legend


def test_settings_in_ucum_units_and_objects_are_spelt_out(for_print):
    r = report()
    r["settings"] = [
        {"key": "impact.message_kgco2e", "label": "Émissions par message", "value": 5e-08,
         "unit": "kg", "source": "ADEME (2022)", "verified": False, "default": True},
        {"key": "impact.trips_by_action", "label": "Par action",
         "value": {"lighting.switch": {"km": 25, "hours": 1.5}}, "unit": None,
         "source": "Vide", "verified": True, "default": False, "date": "2026-02"},
        {"key": "lighting.savings_baseline", "label": "Référence des économies",
         "value": "dusk_to_dawn", "value_label": "Allumage du coucher au lever", "unit": None,
         "source": "Sans programme", "verified": True, "default": True}]
    html = render_html(r, for_print=for_print)
    assert row_cells(html, "Référence des économies")[0] == "Allumage du coucher au lever"
    assert row_cells(html, "Émissions par message")[0] == f"0,00000005{NBSP}kg{NBSP}CO₂e"
    assert row_cells(html, "Par action") == [
        f"lighting.switch{NBSP}: (km{NBSP}: 25, hours{NBSP}: 1,5)", "Vide", "2026-02",
        "Vérifié valeur du territoire"]
    assert row_cells(html, "Émissions par message")[2] == "non renseignée"  # a date column


def test_names_are_escaped(for_print):
    r = report()
    r["tenant"]["name"] = 'CC <script>alert("x")</script> & Cie'
    r["domains"][0]["label"] = "Éclairage <b>public</b>"
    html = render_html(r, for_print=for_print)
    assert "<script>" not in html and "<b>public</b>" not in html
    assert "Remiremont &lt;Centre&gt;" in html  # a commune name of the fixture
    text = html_text(html)
    assert 'CC <script>alert("x")</script> & Cie' in text
    assert "Éclairage <b>public</b>" in text


def test_the_fragment_obeys_the_pages_csp():
    html = render_html(report(), for_print=False)
    assert not re.search(r"<(style|script|link|img)\b", html)
    assert " style=" not in html and "javascript:" not in html
    assert html.lstrip().startswith('<article class="impact-report"')
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids))  # the page may hold it whole


def test_the_document_holds_everything_it_needs():
    html = render_html(report(), for_print=True)
    assert html.startswith("<!doctype html>") and '<html lang="fr">' in html
    assert "<style>" in html and "@page" in html and "counter(pages)" in html
    assert not re.search(r"\b(href|src)=", html)  # nothing to fetch
    assert '<meta name="dcterms.created" content="2026-03-31">' in html
    cover = html_text(html[html.index('class="ir-cover"'):html.index('<main')])
    assert "Rapport d'impact CC de la Porte des Vosges Méridionales" in cover
    assert "Période du 1er janvier 2026 au 31 mars 2026" in cover
    assert f"Émissions {MINUS}212{NBSP}kg{NBSP}CO₂e" in cover


def _bars(svg: str) -> list[tuple[float, float, bool]]:
    return [(float(x), float(w), "negative" in cls) for cls, x, w in re.findall(
        r'<rect class="([^"]+)" x="([^"]+)" y="[^"]+" width="([^"]+)"', svg)]


def _svg(html: str, domain: str) -> str:
    start = html.index(f'id="ir-{domain}-chart-title"')
    return html[html.rindex("<svg", 0, start):html.index("</svg>", start)]


def test_monthly_charts_are_accessible_svg_with_their_data_in_a_table(for_print):
    r = report()
    html = render_html(r, for_print=for_print)
    svg = _svg(html, "lighting")
    assert 'role="img"' in svg
    assert 'aria-labelledby="ir-lighting-chart-title ir-lighting-chart-desc"' in svg
    title = re.search(r'<title id="ir-lighting-chart-title">(.*?)</title>', svg).group(1)
    assert html_text(title) == "Éclairage public : gains d'énergie par mois (kWh)"
    desc = html_text(re.search(r"<desc[^>]*>(.*?)</desc>", svg, re.S).group(1))
    assert desc.startswith("Gains d'énergie par mois, de janvier 2026 à mars 2026.")
    assert f"Le plus élevé{NBSP}: 5{NNBSP}000{NBSP}kWh en janvier 2026." in desc
    bars = _bars(svg)
    values = [m["kwh"] for m in r["domains"][0]["monthly"]]
    assert len(bars) == 3 and not any(negative for _, _, negative in bars)
    for (_, width, _), value in zip(bars, values, strict=True):  # lengths ∝ values
        assert width / bars[2][1] == pytest.approx(value / values[2], rel=0.005)
    assert [t for t in re.findall(r">([^<>]+)</text>", svg)] == [
        "janv. 2026", f"5{NNBSP}000{NBSP}kWh", "févr. 2026", f"4{NNBSP}345{NBSP}kWh",
        "mars 2026", f"3{NNBSP}000{NBSP}kWh", "0", f"2{NNBSP}000", f"4{NNBSP}000",
        f"6{NNBSP}000", "kWh par mois"]
    # the same figures in a table
    assert row_cells(html, "janvier 2026") == [
        kwh(f"5{NNBSP}000"), f"1{NNBSP}000{NBSP}€", f"260{NBSP}kg{NBSP}CO₂e"]
    # water has no energy: its chart shows m³, February without a bar (a dash)
    water = _svg(html, "water")
    assert "gains d'eau par mois (m³)" in html_text(water)
    assert len(_bars(water)) == 2 and ">—</text>" in water
    assert "1 mois sans valeur disponible" in water
    assert 'id="ir-risks-chart' not in html  # no monthly figures, no chart


def test_negative_months_go_left_of_the_zero_line(for_print):
    r = report()
    r["domains"][0]["monthly"][1]["kwh"] = -1000.0
    svg = _svg(render_html(r, for_print=for_print), "lighting")
    zero = float(re.search(r'<line x1="([^"]+)"[^>]*stroke="#161616"', svg).group(1))
    (x1, w1, n1), (x2, w2, n2), _ = _bars(svg)
    assert not n1 and x1 == pytest.approx(zero) and n2
    assert x2 + w2 == pytest.approx(zero, abs=0.02) and x2 < zero
    assert w1 / w2 == pytest.approx(5000.5 / 1000, rel=0.005)
    assert f"{MINUS}1{NNBSP}000{NBSP}kWh" in svg


def test_per_commune_tables_and_their_sum_over_domains(for_print):
    html = render_html(report(), for_print=for_print)
    # Remiremont: lighting 10 000 kWh, 2 000 €, 520 kg; water 3 150 €, 1 575,25 m³
    totals = html[html.index('id="ir-communes-title"'):html.index('id="ir-footprint-title"')]
    assert row_cells(totals, "Remiremont") == [
        kwh(f"10{NNBSP}000"), f"5{NNBSP}150{NBSP}€", f"520{NBSP}kg{NBSP}CO₂e",
        f"1{NNBSP}575{NBSP}m³"]
    assert row_cells(totals, "Saint-Étienne-lès-Remiremont")[3] == "non disponible"
    assert "88413" in html_text(totals)


def test_the_communes_of_the_report_and_what_data_it_covers(for_print):
    r = report()
    r["communes"] = [{"insee": "88383", "name": "Remiremont"}]
    text = html_text(render_html(r, for_print=for_print))
    assert f"communes{NBSP}: Remiremont." in text
    assert ("Mesures du 1er janvier 2026 au 31 mars 2026. Observations du 1er janvier au "
            "31 mars 2026 ; 2 compteurs silencieux.") in text
    r["data"] = {"from": None, "to": None, "measurements": 0,
                 "note": "Aucune mesure reçue sur la période."}
    text = html_text(render_html(r, for_print=for_print))
    assert "Mesures du" not in text and "Aucune mesure reçue sur la période." in text
    assert "Rapport établi le 5 décembre 2026" in text
    assert "tout le territoire" in html_text(render_html(report(), for_print=for_print))


@pytest.mark.parametrize(("span", "step"), [(6000.5, 2000), (1075.25, 500), (900, 250), (0.9, 0.25),
                                            (0, 1), (12, 5)])
def test_axis_steps_are_round(span, step):
    assert nice_step(span) == pytest.approx(step)


def test_the_reports_own_quality_labels_and_unnamed_communes(for_print):
    r = report()
    r["qualities"] = {"measured": "mesuré", "estimated": "estimé", "assumed": "hypothèse"}
    r["domains"][1]["by_commune"][0]["name"] = None
    html = render_html(r, for_print=for_print)
    assert f"Qualité{NBSP}: hypothèse" in html_text(html)  # the devices' footprint
    assert "supposé" not in html_text(html)
    water = html[html.index('id="ir-water"'):html.index('id="ir-risks"')]
    assert row_cells(water, "Commune 88383")[1] == f"1{NNBSP}575{NBSP}m³"
    assert "None" not in html_text(html)


def test_field_trips_per_action(for_print):
    r = report()
    r["field_trips"]["items"][0].update({"eur": 150.0, "kgco2e": 46.08,
                                          "source": "paramètres impact.trip_km"})
    html = render_html(r, for_print=for_print)
    assert row_cells(html, "Programmation d'une armoire") == [
        "12", f"20{NBSP}km", f"0,5{NBSP}h", f"150{NBSP}€", f"46,1{NBSP}kg{NBSP}CO₂e"]
    assert "paramètres impact.trip_km" in html_text(html)


def test_a_domain_whose_items_have_no_figure_yet(for_print):
    r = report()
    water = r["domains"][1]
    water.update({"eur": None, "m3": None, "monthly": [], "by_commune": []})
    water["items"][0].update({"eur": None, "m3": None})
    html = render_html(r, for_print=for_print)
    section = html[html.index('id="ir-water"'):html.index('id="ir-risks"')]
    assert row_cells(section, "Fuites trouvées plus tôt") == ["non disponible"] * 4 + ["estimé"]
    assert "ne chiffre pas de gain" not in html_text(section)
