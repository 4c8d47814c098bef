"""`beffroi dev new-domain KEY` writes a domain package that works: the suite generates one,
finds it through its entry point as an installed package would be found, serves it, and
runs the package's own tests."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from beffroi.cli.main import cli

SRC = Path(__file__).resolve().parents[2] / "src"
KEY = "compostage"


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("scaffold")
    result = CliRunner().invoke(cli, ["dev", "new-domain", KEY, "--out", str(out),
                                      "--label", "Compostage partagé"])
    assert result.exit_code == 0, result.output
    assert f"Domaine « {KEY} » écrit dans {out / 'beffroi-compostage'}" in result.output
    return out / "beffroi-compostage"


def installed(package: Path, tmp_path: Path) -> dict[str, str]:
    """The environment of a process that sees the package as installed (pip install -e):
    its sources on the path and a dist-info made from its pyproject's entry points."""
    project = tomllib.loads((package / "pyproject.toml").read_text())["project"]
    info = tmp_path / "site" / f"{project['name'].replace('-', '_')}-{project['version']}.dist-info"
    info.mkdir(parents=True)
    info.joinpath("METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n")
    info.joinpath("entry_points.txt").write_text("".join(
        f"[{group}]\n" + "".join(f"{name} = {target}\n" for name, target in points.items())
        for group, points in project["entry-points"].items()))
    path = os.pathsep.join([str(tmp_path / "site"), str(package / "src"), str(SRC)])
    return {**os.environ, "PYTHONPATH": path}


def test_the_package_imports_only_the_extension_api(package):
    sources = sorted(package.rglob("*.py"))
    assert [p.relative_to(package).as_posix() for p in sources] == [
        "src/beffroi_compostage/__init__.py", "tests/test_compostage.py"]
    imported = set()
    for path in sources:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                imported.add(node.module)
            elif isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
    assert {m for m in imported if m.split(".")[0] == "beffroi"} == {"beffroi.plugin"}


def test_beffroi_finds_serves_and_lists_the_generated_domain(package, tmp_path):
    env = installed(package, tmp_path)
    script = """
import orjson
from fastapi.testclient import TestClient
from beffroi.api.app import create_app
from beffroi.core.registry import load_registry
from beffroi.storage.database import Database

registry = load_registry()
with TestClient(create_app(Database("sqlite://"), registry)) as client:
    domains = {d["key"]: d for d in client.get("/api/v1/domains").json()}
print(orjson.dumps(domains["compostage"]).decode())
"""
    served = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                            text=True, timeout=120)
    assert served.returncode == 0, served.stderr
    domain = orjson.loads(served.stdout.splitlines()[-1])
    assert domain["label"] == "Compostage partagé"
    [kind] = domain["asset_kinds"]
    assert kind["key"] == "compostage.site" and kind["metrics"] == ["compostage.level"]
    listed = subprocess.run([str(Path(sys.executable).parent / "beffroi"), "domains", "--json"],
                            env=env, capture_output=True, text=True, timeout=120)
    [mine] = [d for d in orjson.loads(listed.stdout) if d["key"] == KEY]
    assert (mine["version"], mine["origin"], mine["distribution"], mine["error"]) == (
        "0.1.0", "extension", "beffroi-compostage", None)


def test_the_generated_tests_pass(package, tmp_path):
    env = installed(package, tmp_path)
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          "-p", "no:randomly", "tests"], cwd=package, env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and "3 passed" in run.stdout, run.stdout + run.stderr


def test_the_generated_code_is_clean(package):
    ruff = Path(sys.executable).parent / "ruff"
    run = subprocess.run([str(ruff), "check", "--isolated", "--line-length", "100",
                          "--select", "E,F,W,I,UP,B", "."], cwd=package,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stdout


@pytest.mark.parametrize(("key", "message"), [
    ("lighting", "un domaine « lighting » est déjà installé"),
    ("Dechets", "clé « Dechets » invalide"),
    ("x", "clé « x » invalide"),
    ("class", "clé « class » invalide"),
])
def test_a_key_that_cannot_be_a_domain_is_refused(tmp_path, key, message):
    result = CliRunner().invoke(cli, ["dev", "new-domain", key, "--out", str(tmp_path)])
    assert result.exit_code == 1 and message in result.output
    assert list(tmp_path.iterdir()) == []


def test_an_existing_package_is_never_overwritten(tmp_path):
    target = tmp_path / "beffroi-compost"
    target.mkdir()
    (target / "notes.txt").write_text("à garder")
    result = CliRunner().invoke(cli, ["dev", "new-domain", "compost", "--out", str(tmp_path)])
    assert result.exit_code == 1 and "n'est pas vide" in result.output
    assert [p.name for p in target.iterdir()] == ["notes.txt"]
