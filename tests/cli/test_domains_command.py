"""``beffroi domains``: each installed domain with its version and origin, an extension's
failure shown beside the others. Extensions are real distributions (a ``.dist-info`` with
its entry points) on the path of a ``beffroi`` process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
BUILTINS = {"buildings", "generic", "lighting", "risks", "water"}


def distribution(root: Path, name: str, dist_version: str, module: str, code: str,
                 entry: str) -> None:
    """An installed distribution ``name`` declaring one ``beffroi.domains`` entry point."""
    (root / f"{module}.py").write_text(code, encoding="utf-8")
    info = root / f"{name.replace('-', '_')}-{dist_version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: "
                                   f"{dist_version}\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(f"[beffroi.domains]\n{entry} = {module}:DOMAIN\n",
                                           encoding="utf-8")


def beffroi(path: Path, *args: str, command: str = "domains") -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(path), str(SRC)])}
    return subprocess.run([sys.executable, "-c", "from beffroi.cli.main import main; main()",
                           command, *args], capture_output=True, text=True, env=env,
                          timeout=120)


PARKING = """
from beffroi.core.registry import AssetKind, Domain, Metric
DOMAIN = Domain(key="parking", label="Stationnement", asset_kinds=(
    AssetKind("parking.space", "Place de stationnement", metrics=("parking.occupied",)),),
    metrics=(Metric("parking.occupied", "Occupée", "1", kind="state",
                    states={0: "libre", 1: "occupée"}),))
"""


def test_builtins_and_an_extension_with_their_version_and_origin(tmp_path):
    distribution(tmp_path, "beffroi-stationnement", "2.3.1", "beffroi_stationnement", PARKING,
                 "parking")
    listed = beffroi(tmp_path, "--json")
    assert listed.returncode == 0, listed.stderr
    by_key = {d["key"]: d for d in json.loads(listed.stdout)}
    assert BUILTINS <= set(by_key)
    assert by_key["parking"] == {
        "key": "parking", "label": "Stationnement", "version": "2.3.1", "origin": "extension",
        "distribution": "beffroi-stationnement", "entry_point": "beffroi_stationnement:DOMAIN",
        "asset_kinds": ["parking.space"], "metrics": ["parking.occupied"], "error": None}
    for key in BUILTINS:
        assert (by_key[key]["origin"], by_key[key]["distribution"], by_key[key]["version"]) == (
            "builtin", "beffroi", version("beffroi"))
    text = beffroi(tmp_path)
    assert text.returncode == 0, text.stderr
    lines = {line.split()[0]: line.split() for line in text.stdout.splitlines()[2:]}
    assert lines["parking"][-2:] == ["2.3.1", "beffroi-stationnement"]
    assert lines["water"][-2:] == [version("beffroi"), "intégré"]
    assert text.stdout.splitlines()[1].split() == ["clé", "libellé", "version", "origine"]


def test_a_broken_extension_is_shown_with_its_error_and_the_others_still_listed(tmp_path):
    distribution(tmp_path, "beffroi-casse", "0.1", "beffroi_casse",
                 "import beffroi.nothing_here\n", "casse")
    # Declares a kind of the water domain again: refused at registration.
    distribution(tmp_path, "beffroi-doublon", "0.2", "beffroi_doublon", PARKING.replace(
        '"parking.space"', '"water.meter"'), "doublon")
    result = beffroi(tmp_path, "--json")
    assert result.returncode == 1
    by_key = {d["key"]: d for d in json.loads(result.stdout)}
    assert BUILTINS <= set(by_key) and all(by_key[k]["error"] is None for k in BUILTINS)
    assert by_key["casse"]["error"].startswith("chargement impossible : ModuleNotFoundError")
    assert by_key["casse"]["version"] == "0.1" and by_key["casse"]["label"] is None
    assert "enregistrement refusé" in by_key["doublon"]["error"]
    assert "water.meter" in by_key["doublon"]["error"]
    text = beffroi(tmp_path)
    assert text.returncode == 1
    assert "Erreur du domaine « casse » (beffroi_casse:DOMAIN) : chargement impossible" \
        in text.stderr
    # Every other command still works, with a warning; the built-ins' groups are there.
    other = beffroi(tmp_path, "--help", command="water")
    assert other.returncode == 0, other.stderr
    assert "le domaine « casse » est inutilisable" in other.stderr
