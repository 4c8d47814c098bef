"""A device's name and model are checked where they come in (API create and update, and
``beffroi device create``): text, trimmed, no longer than their columns; a model of another
JSON type was stored as its Python text (``"{'a': 1}"``) and a long one silently cut."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from beffroi.cli.main import cli
from beffroi.core import devices, tenants
from beffroi.core.access import CLI, open_scope
from beffroi.core.registry import load_registry

MODEL_ERROR = "texte attendu : le modèle du capteur ou la clé de son décodeur (ex. elsys)"


@pytest.fixture(scope="module")
def registry():
    return load_registry(["generic"])


@pytest.fixture
def site(db, registry, op_headers):
    with db.write() as conn:
        t = tenants.create_tenant(db, conn, CLI, name="CC des capteurs", registry=registry)
        device = devices.create_device(open_scope(db, conn, CLI, t["id"]), conn,
                                       {"name": "Capteur", "model": "elsys"})
    return {"base": f"/api/v1/tenants/{t['id']}/devices", "tenant": t["id"],
            "device": device.id, "h": op_headers}


@pytest.mark.parametrize("changes, field, message", [
    ({"model": {"a": 1}}, "model", MODEL_ERROR),
    ({"model": ["x"]}, "model", MODEL_ERROR),
    ({"model": 123}, "model", MODEL_ERROR),
    ({"model": True}, "model", MODEL_ERROR),
    ({"model": "m" * 121}, "model", "120 caractères au plus (reçu 121)"),
    ({"model": " " + "m" * 121 + " "}, "model", "120 caractères au plus (reçu 121)"),
    ({"name": "n" * 301}, "name", "300 caractères au plus (reçu 301)"),
])
def test_a_bad_name_or_model_is_refused_on_create_and_update(client, site, changes, field,
                                                             message):
    for method, url, body in (("POST", site["base"], {"name": "Autre", **changes}),
                              ("PATCH", f"{site['base']}/{site['device']}", changes)):
        response = client.request(method, url, headers=site["h"], json=body)
        assert response.status_code == 422, (method, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["errors"] == [{"field": field, "message": message}], method
    listed = client.get(site["base"], headers=site["h"]).json()
    assert [(d["name"], d["model"]) for d in listed] == [("Capteur", "elsys")]


def test_a_model_is_trimmed_and_a_blank_one_is_no_model(client, site):
    url = f"{site['base']}/{site['device']}"
    patch = client.patch(url, headers=site["h"], json={"model": "  cayenne-lpp  "})
    assert patch.status_code == 200 and patch.json()["model"] == "cayenne-lpp"
    assert client.patch(url, headers=site["h"], json={"model": "   "}).json()["model"] is None
    longest = "m" * 120
    assert client.patch(url, headers=site["h"], json={"model": longest}).json()["model"] == longest
    assert client.patch(url, headers=site["h"], json={"model": None}).json()["model"] is None
    created = client.post(site["base"], headers=site["h"],
                          json={"name": "  Compteur  ", "model": " elsys "})
    assert created.status_code == 201
    assert (created.json()["name"], created.json()["model"]) == ("Compteur", "elsys")


def test_the_cli_checks_the_model_the_same_way(db, site):
    runner = CliRunner()

    def create(*args: str):
        return runner.invoke(cli, ["device", "create", "--tenant", str(site["tenant"]),
                                   "--name", "Sonde", *args, "--db", db.url],
                             prog_name="beffroi")

    refused = create("--model", "m" * 121)
    assert refused.exit_code != 0
    assert "model : 120 caractères au plus (reçu 121)" in refused.output
    created = create("--model", "  elsys ")
    assert created.exit_code == 0, created.output
    assert '"model":"elsys"' in created.output
