"""RFC 9457 problem details for every error the API returns."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import iter_route_contexts
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from ..core.errors import BeffroiError

PROBLEM_BASE = "https://beffroi.fr/problemes/"
STATUS_TITLES = {400: "Requête invalide", 401: "Authentification requise", 403: "Action non autorisée",
                 404: "Introuvable", 405: "Méthode non permise", 409: "Conflit",
                 413: "Requête trop volumineuse", 415: "Type de contenu non pris en charge",
                 422: "Données invalides", 429: "Trop de tentatives", 500: "Erreur interne"}
UNSTORABLE_SLUG = "unstorable-value"
UNSTORABLE_DETAIL = ("Une valeur de la requête ne peut pas être enregistrée (nombre hors limites "
                     "ou caractère interdit).")
METHOD_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
ROUTER_DETAILS = {404: "Cette adresse n'existe pas.",
                  405: "Méthode non permise sur cette adresse."}


def problem(status: int, title: str, detail: str, *, type_slug: str = "about:blank",
            instance: str | None = None, headers: Mapping[str, str] | None = None,
            **extra: Any) -> Response:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + type_slug if type_slug != "about:blank" else "about:blank",
        "title": title, "status": status, "detail": detail,
    }
    if instance:
        body["instance"] = instance
    body.update({k: v for k, v in extra.items() if v is not None})
    headers = dict(headers or {})
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="beffroi"'
    return Response(orjson.dumps(body), status_code=status,
                    media_type="application/problem+json", headers=headers)


def allowed_methods(app: FastAPI, path: str) -> list[str]:
    """Every method some route offers at ``path`` (for the ``Allow`` header of a 405)."""
    methods: set[str] = set()
    for route in iter_route_contexts(app.routes):
        regex = getattr(route, "path_regex", None)
        if regex is not None and regex.match(path):
            methods |= set(getattr(route, "methods", None) or ())
    return sorted(methods, key=lambda m: (METHOD_ORDER.index(m) if m in METHOD_ORDER else 9, m))


def _field_path(loc: tuple) -> str:
    return ".".join(str(p) for p in loc if p not in ("body", "query", "path", "header"))


def install(app: FastAPI) -> None:
    @app.exception_handler(BeffroiError)
    async def _beffroi(request: Request, exc: BeffroiError) -> Response:
        return problem(exc.status, exc.title, exc.detail, type_slug=exc.type_slug,
                       instance=request.url.path, headers=exc.headers, errors=exc.errors or None,
                       **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        errors = [{"field": _field_path(tuple(e.get("loc", ()))), "message": _french(e)}
                  for e in exc.errors()]
        return problem(422, "Paramètres invalides",
                       "La requête contient des paramètres invalides.", type_slug="invalid",
                       instance=request.url.path, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        # The router's own answers (unknown address, method not allowed) get a French text;
        # their headers (``Allow`` on a 405) are kept.
        detail = ROUTER_DETAILS.get(exc.status_code)
        headers = dict(exc.headers or {})
        if detail is None:
            detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        elif exc.status_code == 405:
            # The router names the methods of the first route that matched the path only.
            headers["Allow"] = ", ".join(allowed_methods(app, request.url.path))
            detail += f" Méthodes acceptées : {headers['Allow']}."
        return problem(exc.status_code, STATUS_TITLES.get(exc.status_code, "Erreur"), detail,
                       instance=request.url.path, headers=headers)

    # Safety net only: values the database cannot hold are refused at the edge
    # (core/storable.py); one that slips through is still the caller's error, not ours,
    # but it is logged so that the missing check gets added.
    async def _unstorable(request: Request, exc: Exception) -> Response:
        logging.getLogger("beffroi").warning("unstorable value on %s: %s", request.url.path,
                                             str(exc).splitlines()[0][:200])
        return problem(422, "Données invalides", UNSTORABLE_DETAIL, type_slug=UNSTORABLE_SLUG,
                       instance=request.url.path)

    app.add_exception_handler(DataError, _unstorable)
    app.add_exception_handler(OverflowError, _unstorable)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        logging.getLogger("beffroi").exception("unexpected error on %s", request.url.path)
        return problem(500, "Erreur interne", "Une erreur inattendue s'est produite ; "
                       "elle a été journalisée.", instance=request.url.path)


def _french(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "less_than_equal" and "le" in ctx:
        return f"valeur trop grande (au plus {ctx['le']})"
    if kind == "greater_than_equal" and "ge" in ctx:
        return f"valeur trop petite (au moins {ctx['ge']})"
    return {
        "missing": "paramètre obligatoire",
        "int_parsing": "nombre entier attendu",
        "float_parsing": "nombre attendu",
        "bool_parsing": "booléen attendu",
        "greater_than_equal": "valeur trop petite",
        "less_than_equal": "valeur trop grande",
        "literal_error": "valeur non autorisée",
        "string_too_long": "texte trop long",
    }.get(kind, error.get("msg", "valeur invalide"))
