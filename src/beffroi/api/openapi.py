"""The OpenAPI document tells what the routes really answer.

Each route declares its success body (``response_model``: an object, a list, a GeoJSON
feature collection) and the errors only it can give (``responses=problems(409)``). The
errors that follow from what a route depends on are added here to every operation, all as
RFC 9457 ``application/problem+json``:

- 422 everywhere (a parameter or body is invalid; any route refuses a NUL character);
- 401 and 403 for the routes that read the caller (``CtxDep``);
- 404 for the routes with path parameters (the object may not exist or not be visible);
- 413 for the routes that read a body.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from .deps import (
    bulk_json_body,
    credentials_body,
    get_ctx,
    json_body,
    open_json_body,
    optional_json_body,
    password_body,
    raw_body,
)

PROBLEM_SCHEMA = {
    "type": "object",
    "description": "Problème (RFC 9457) ; messages en français.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {"type": "array", "description": "champs en cause", "items": {
            "type": "object", "properties": {"field": {"type": "string"},
                                             "message": {"type": "string"}}}},
    },
}
ERROR_TEXTS = {
    400: "Requête invalide",
    401: "Authentification requise (jeton ou secret absent, inconnu ou expiré)",
    403: "Action non autorisée pour votre rôle",
    404: "Introuvable (ou invisible pour vous)",
    409: "Conflit avec l'existant",
    413: "Requête trop volumineuse",
    415: "Type de contenu non pris en charge",
    422: "Paramètres ou données invalides (les champs en cause sont listés)",
    429: "Trop de tentatives : réessayez après le délai de l'en-tête Retry-After",
    503: "Service indisponible",
}
_PROBLEM_CONTENT = {"application/problem+json": {
    "schema": {"$ref": "#/components/schemas/Problem"}}}
_BODY_READERS = {json_body, open_json_body, bulk_json_body, raw_body, optional_json_body,
                 credentials_body, password_body}


def problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The error responses a route declares besides those implied by its dependencies."""
    return {code: {"description": ERROR_TEXTS[code]} for code in codes}


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _calls(sub)


def implied_errors(route: Any) -> set[int]:
    """The error codes a route (or an included route's context) can answer because of what
    it depends on."""
    calls = set(_calls(route.dependant))
    codes = {422}
    if get_ctx in calls:
        codes |= {401, 403}
    if route.dependant.path_params:
        codes.add(404)
    if calls & _BODY_READERS:
        codes.add(413)
    return codes


def declare_problems(app: FastAPI) -> None:
    """Generate the document with every operation's error responses as problem+json."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        doc = generate()
        schemas = doc.setdefault("components", {}).setdefault("schemas", {})
        if "Problem" not in schemas:  # a new document (FastAPI caches it until routes change)
            _add_problems(app, doc)
            schemas["Problem"] = PROBLEM_SCHEMA
            for unused in ("HTTPValidationError", "ValidationError"):
                schemas.pop(unused, None)
        return doc

    app.openapi = openapi  # type: ignore[method-assign]


def _add_problems(app: FastAPI, doc: dict[str, Any]) -> None:
    for route in iter_route_contexts(app.routes):  # included routes as the app serves them
        if not isinstance(route.original_route, APIRoute) or not route.include_in_schema:
            continue
        declared = {code for code in route.responses if isinstance(code, int) and code >= 400}
        for method in route.methods:
            operation = doc["paths"][route.path_format][method.lower()]
            for answer in operation["responses"].values():
                if answer.get("description") == "Successful Response":
                    answer["description"] = "Réussite"
            for code in sorted(implied_errors(route) | declared):
                operation["responses"][str(code)] = {"description": ERROR_TEXTS[code],
                                                     "content": _PROBLEM_CONTENT}
