"""The OpenAPI document describes what the routes really answer: valid OpenAPI 3.1, success
bodies declared as JSON objects or lists (GeoJSON for the assets, CSV for the open-data
exports), every error as problem+json, every integer parameter bounded to what the databases
hold."""

from __future__ import annotations

import jsonschema_rs
import pytest
import schemathesis

from beffroi.api.app import create_app
from beffroi.core.registry import load_registry
from beffroi.storage.database import Database

METHODS = {"get", "post", "put", "patch", "delete"}
BIGINT_MAX = 2**63 - 1


@pytest.fixture(scope="module")
def doc() -> dict:
    """The document of an app with every installed domain (it never opens its database)."""
    return create_app(Database("sqlite://"), load_registry()).openapi()


def operations(doc: dict):
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield method.upper(), path, operation


def resolve(doc: dict, schema: dict) -> dict:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        schema = doc["components"]["schemas"][name]
    return schema


def test_the_document_is_valid_openapi_and_its_schemas_valid_json_schema(doc):
    assert doc["openapi"].startswith("3.1")
    schemathesis.openapi.from_dict(doc).validate()  # against the OpenAPI 3.1 meta-schema
    checked = 0
    for _, _, operation in operations(doc):
        bodies = [*operation.get("responses", {}).values(), operation.get("requestBody", {})]
        for body in bodies:
            for media in body.get("content", {}).values():
                jsonschema_rs.meta.validate(resolve(doc, media["schema"]))
                checked += 1
    assert checked > 300


def test_the_assets_are_declared_as_a_geojson_feature_collection(doc):
    answer = doc["paths"]["/api/v1/tenants/{tenant}/assets"]["get"]["responses"]["200"]
    assert list(answer["content"]) == ["application/geo+json"]
    schema = resolve(doc, answer["content"]["application/geo+json"]["schema"])
    assert schema["type"] == "object"
    assert schema["properties"]["type"]["const"] == "FeatureCollection"
    assert {"type", "features", "numberReturned"} <= set(schema["required"])
    feature = resolve(doc, schema["properties"]["features"]["items"])
    assert feature["properties"]["type"]["const"] == "Feature"


def test_the_compliance_report_is_declared_as_a_json_object(doc):
    answer = doc["paths"]["/api/v1/tenants/{tenant}/lighting/compliance"]["get"]["responses"]
    assert answer["200"]["content"]["application/json"]["schema"]["type"] == "object"


def test_every_success_body_is_declared_as_a_json_object_or_list(doc):
    seen = 0
    for method, path, operation in operations(doc):
        successes = {code: answer for code, answer in operation["responses"].items()
                     if code.startswith("2")}
        assert len(successes) == 1, (method, path, successes)
        [(code, answer)] = successes.items()
        if code == "204":
            assert "content" not in answer, (method, path)
            continue
        for media, content in answer["content"].items():
            if media == "text/csv":  # an open-data export (the impact report's CSV)
                assert path.endswith(".csv") and content["schema"] == {"type": "string"}, (
                    method, path)
                continue
            assert media in ("application/json", "application/geo+json"), (method, path, media)
            assert resolve(doc, content["schema"]).get("type") in ("object", "array"), (
                method, path, content["schema"])
        seen += 1
    assert seen > 60


def test_every_error_is_declared_as_problem_json(doc):
    problem = doc["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail"} <= set(problem["required"])
    assert "HTTPValidationError" not in doc["components"]["schemas"]
    for method, path, operation in operations(doc):
        errors = {code: answer for code, answer in operation["responses"].items()
                  if code[0] in "45"}
        assert "422" in errors, (method, path)
        for code, answer in errors.items():
            assert answer["content"] == {"application/problem+json": {
                "schema": {"$ref": "#/components/schemas/Problem"}}}, (method, path, code)
            assert answer["description"] and "Error" not in answer["description"]


def test_errors_follow_from_what_the_route_depends_on(doc):
    def codes(method, path):
        return {c for c in doc["paths"][path][method]["responses"] if c[0] in "45"}

    # Caller, path object, body, and its own conflict (a DevEUI already given).
    assert codes("patch", "/api/v1/tenants/{tenant}/devices/{device_id}") == {
        "401", "403", "404", "409", "413", "422"}
    # Anonymous, no path parameter, no body.
    assert codes("get", "/api/v1/domains") == {"422"}
    # Authenticated by the integration's secret, not by a user.
    assert codes("post", "/api/v1/integrations/{integration}/{provider}") == {
        "401", "404", "409", "413", "422"}
    assert codes("post", "/api/v1/auth/token") == {"401", "413", "422", "429", "503"}
    assert codes("post", "/api/v1/tenants/{tenant}/observations") >= {"413", "415", "422"}


def test_every_integer_parameter_is_bounded_to_64_bits(doc):
    integers = 0
    for method, path, operation in operations(doc):
        for parameter in operation.get("parameters", []):
            schema = parameter["schema"]
            options = schema.get("anyOf", [schema])
            for option in options:
                if option.get("type") == "integer":
                    assert -BIGINT_MAX - 1 <= option.get("minimum", -(2**64)) \
                        and option.get("maximum", 2**64) <= BIGINT_MAX, (
                            method, path, parameter["name"])
                    integers += 1
    assert integers >= 40


def test_request_bodies_name_their_fields(doc):
    body = doc["paths"]["/api/v1/tenants/{tenant}/devices"]["post"]["requestBody"]
    schema = body["content"]["application/json"]["schema"]
    assert schema["type"] == "object" and "required" not in schema
    assert schema["properties"]["asset_id"] == {"type": "integer"}
    assert schema["properties"]["dev_eui"] == {"type": "string"}
    optional = doc["paths"]["/api/v1/tenants/{tenant}/alerts/{alert_id}/acknowledge"]["post"]
    assert optional["requestBody"]["required"] is False
