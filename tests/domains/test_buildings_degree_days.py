"""Issue #18: degree days by the « Météo » and COSTIC methods — the worked examples of their
sources, monthly sums of ``beffroi buildings dju`` against sums written here, bad files
refused in French naming the lines — and the climate correction on hand-computed cases."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from click.testing import CliRunner

from beffroi.core import tenants
from beffroi.core.access import CLI
from beffroi.core.registry import load_registry
from beffroi.domains.buildings import degree_days as dd
from beffroi.domains.buildings.cli import buildings


def test_meteo_worked_example():
    # « Ainsi, si la température moyenne de la journée a été de 5 °C, le nombre de DJU est
    # égal à 13 » (base 18 °C; « Les DJU en bref », lesgrandesterres.net, after Météo-France's
    # fiche méthode Degrés Jours): a day of Tn 0 °C and Tx 10 °C.
    assert dd.daily(0, 10, 18, dd.METEO) == 13
    # No negative degree days: a mean above the base gives 0.
    assert dd.daily(15, 25, 18, dd.METEO) == 0
    assert dd.daily(10, 20, 18, dd.METEO) == 3


def test_costic_worked_examples():
    # « Méthode professionnels de l'énergie » (COSTIC), as Météo-France's fiche méthode
    # Degrés Jours (DJC-methode.pdf) gives it; the three cases with the values of the
    # doctests of the public implementation that cites that fiche (hdd(5, 15, 18) = 8,
    # hdd(20, 30, 18) = 0, hdd(10, 20, 18) = 3.328).
    assert dd.daily(5, 15, 18, dd.COSTIC) == 8  # Tx < S: S − (Tn + Tx)/2
    assert dd.daily(20, 30, 18, dd.COSTIC) == 0  # Tn ≥ S
    # Tn < S ≤ Tx: (S − Tn) × (0,08 + 0,42 × (S − Tn)/(Tx − Tn)) = 8 × (0,08 + 0,42 × 0,8)
    assert dd.daily(10, 20, 18, dd.COSTIC) == pytest.approx(3.328, abs=1e-12)
    assert dd.daily(18, 25, 18, dd.COSTIC) == 0  # S = Tn: the « S ≤ Tn » case
    assert dd.daily(10, 18, 18, dd.COSTIC) == pytest.approx(8 * (0.08 + 0.42))  # S = Tx


def _series() -> list[tuple[date, float, float]]:
    out, d = [], date(2024, 1, 1)
    while d <= date(2024, 3, 31):
        tmin = -3 + (d.toordinal() % 11)
        out.append((d, float(tmin), float(tmin + 4 + d.toordinal() % 9)))
        d += timedelta(days=1)
    return out


def _write(tmp_path, rows, header="date,tmin_c,tmax_c"):
    path = tmp_path / "t.csv"
    path.write_text(header + "\n" + "".join(f"{r}\n" for r in rows), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("method", ["meteo", "costic"])
def test_cli_monthly_sums(tmp_path, method):
    series = _series()
    path = _write(tmp_path, [f"{d.isoformat()},{lo},{hi}" for d, lo, hi in series])
    result = CliRunner().invoke(buildings, ["dju", "--csv", path, "--base", "17",
                                            "--method", method])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))

    def expected(lo, hi, s=17.0):
        if method == "meteo":
            return max(0.0, s - (lo + hi) / 2)
        if hi < s:
            return s - (lo + hi) / 2
        return 0.0 if lo >= s else (s - lo) * (0.08 + 0.42 * (s - lo) / (hi - lo))

    sums = {}
    for d, lo, hi in series:
        key = f"{d.year}-{d.month:02d}"
        sums[key] = sums.get(key, 0.0) + expected(lo, hi)
    assert [r["month"] for r in rows] == ["2024-01", "2024-02", "2024-03"]
    assert [float(r["dju"]) for r in rows] == [round(v, 2) for v in sums.values()]


def test_cli_refuses_bad_files(tmp_path):
    bad = _write(tmp_path, ["2024-01-01,1,5", "2024-13-01,1,5", "2024-01-03,abc,5",
                            "2024-01-04,8,2", "2024-01-05,1,99"])
    result = CliRunner().invoke(buildings, ["dju", "--csv", bad])
    assert result.exit_code == 2
    assert "4 ligne(s) invalide(s), fichier refusé" in result.output
    assert "ligne 3 : date « 2024-13-01 » invalide, AAAA-MM-JJ attendu" in result.output
    assert "ligne 4 : tmin_c « abc » invalide, nombre attendu" in result.output
    assert "ligne 5 : tmin_c 8 °C supérieure à tmax_c 2 °C" in result.output
    assert "ligne 6 : tmax_c 99 °C hors de l'intervalle plausible" in result.output
    header = _write(tmp_path, ["2024-01-01,1,5"], header="jour,min,max")
    result = CliRunner().invoke(buildings, ["dju", "--csv", header])
    assert result.exit_code == 2 and "ligne 1 : en-tête « jour,min,max » inattendu" in \
        result.output
    twice = _write(tmp_path, ["2024-01-01,1,5", "2024-01-01,2,6"])
    result = CliRunner().invoke(buildings, ["dju", "--csv", twice])
    assert result.exit_code == 2
    assert "ligne 3 : la date 2024-01-01 est donnée deux fois (déjà ligne 2)" in result.output
    empty = _write(tmp_path, [])
    assert "aucune ligne de données" in CliRunner().invoke(
        buildings, ["dju", "--csv", empty]).output
    result = CliRunner().invoke(buildings, ["dju", "--csv", str(tmp_path / "absent.csv")])
    assert result.exit_code == 2 and "lecture impossible" in result.output
    result = CliRunner().invoke(buildings, ["dju", "--csv", bad, "--method", "degres"])
    assert result.exit_code == 2  # click refuses the unknown method


def test_climate_correction_hand_computed():
    # 100,000 kWh of which 60 % heating; a mild year (2,000 DJU) against a 2,500 DJU normal:
    # 40,000 + 60,000 × 2,500 / 2,000 = 115,000 kWh.
    heat, how = dd.heating_kwh({"heating_share_pct": 60}, 100_000, {})
    assert heat == 60_000 and "60 %" in how
    assert dd.corrected(100_000, heat, 2500, 2000) == 115_000
    # Without a share: 85 % of the gas of a gas-heated building (80,000 kWh of 100,000).
    heat, how = dd.heating_kwh({"heating": "gaz"}, 100_000,
                               {"gaz": 80_000, "electricite": 20_000})
    assert heat == 68_000 and "par défaut" in how
    assert dd.corrected(100_000, heat, 2500, 2000) == 32_000 + 68_000 * 1.25
    # A heat pump's electricity: 35 % by default.
    assert dd.heating_kwh({"heating": "pompe_a_chaleur"}, 50_000,
                          {"electricite": 50_000})[0] == 17_500
    # No heating energy, no reference DJU or no year DJU: nothing to correct.
    assert dd.heating_kwh({}, 100_000, {"gaz": 1})[0] == 0
    assert dd.corrected(100_000, 60_000, None, 2000) is None
    assert dd.corrected(100_000, 60_000, 2500, None) is None


def test_year_dju_needs_the_days():
    settings = dd.DjuSettings("meteo", 18.0, 2500.0, "2001-2020")
    days = [dd.DayTemperatures(date(2023, 1, 1) + timedelta(days=i), 2.0, 8.0)
            for i in range(365)]
    assert dd.year_dju(days, 2023, settings) == 13 * 365
    assert dd.year_dju(days[:300], 2023, settings) is None  # 300 days < 90 % of 365
    assert dd.by_month(days[:40], 18, "meteo") == {"2023-01": (13 * 31, 31),
                                                  "2023-02": (13 * 9, 9)}


@pytest.fixture
def registry():
    return load_registry(["generic", "buildings"])


def test_reference_dju_below_500_is_refused(db, client, op_headers, registry):
    """0 reference DJU made the corrected consumption drop the whole heating share
    (C_heating × 0 / DJU_year); no correction is the empty setting, not 0."""
    with db.write() as conn:
        tenant = tenants.create_tenant(db, conn, CLI, name="CC", registry=registry)["id"]
    url = f"/api/v1/tenants/{tenant}"
    for value in (0, 25, 499.9, -2500):
        refused = client.patch(url, headers=op_headers,
                               json={"settings": {"buildings.dju_reference": value}})
        assert refused.status_code == 422, (value, refused.text)
        assert [e["field"] for e in refused.json()["errors"]] == ["buildings.dju_reference"]
        assert "minimum 500" in refused.json()["errors"][0]["message"]
    for value in (500, 1500, 3500, None):
        accepted = client.patch(url, headers=op_headers,
                                json={"settings": {"buildings.dju_reference": value}})
        assert accepted.status_code == 200, (value, accepted.text)
        assert accepted.json()["settings"]["buildings.dju_reference"] == value
    assert dd.corrected(100_000, 60_000, None, 2000) is None  # empty: no correction
