"""Errors raised by core and domains; the API turns them into problem+json.

Messages are in French: they are shown to users as they are.
"""

from __future__ import annotations

from typing import Any


class BeffroiError(Exception):
    status = 400
    title = "Requête invalide"
    type_slug = "bad-request"

    def __init__(self, detail: str, *, errors: list[dict[str, Any]] | None = None,
                 extra: dict[str, Any] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []
        self.extra = extra or {}


class Unauthorized(BeffroiError):
    status = 401
    title = "Authentification requise"
    type_slug = "unauthorized"


class Forbidden(BeffroiError):
    status = 403
    title = "Action non autorisée"
    type_slug = "forbidden"


class NotFound(BeffroiError):
    status = 404
    title = "Introuvable"
    type_slug = "not-found"


class Conflict(BeffroiError):
    status = 409
    title = "Conflit"
    type_slug = "conflict"


class TooLarge(BeffroiError):
    status = 413
    title = "Requête trop volumineuse"
    type_slug = "too-large"


class Invalid(BeffroiError):
    status = 422
    title = "Données invalides"
    type_slug = "invalid"
