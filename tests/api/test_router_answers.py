"""The router's own answers are problems in French too: an unknown address (404) and a
method the address does not offer (405, with the ``Allow`` header RFC 9110 requires)."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("method,path,allowed", [
    ("PUT", "/api/v1/domains", "GET"),
    ("DELETE", "/api/v1/tenants/1/assets/status", "GET"),  # not taken for an asset id
    ("GET", "/api/v1/tenants/1/assets/import", "POST"),
    ("PUT", "/api/v1/tenants/1/assets/7", "GET, PATCH, DELETE"),
    ("POST", "/api/v1/me", "GET"),
])
def test_a_method_not_allowed_says_which_are(client, method, path, allowed):
    response = client.request(method, path)
    assert response.status_code == 405
    assert sorted(response.headers["allow"].split(", ")) == sorted(allowed.split(", "))
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["title"] == "Méthode non permise"
    assert body["detail"] == ("Méthode non permise sur cette adresse. Méthodes acceptées : "
                              f"{response.headers['allow']}.")
    assert body["status"] == 405 and body["instance"] == path


@pytest.mark.parametrize("path", ["/api/v1/nulle-part", "/api/v1/tenants/1/assets/-3"])
def test_an_unknown_address_is_a_french_problem(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "Cette adresse n'existe pas."
    assert "allow" not in response.headers
