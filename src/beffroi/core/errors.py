"""Errors raised by core and domains; the API turns them into problem+json.

Messages are in French: they are shown to users as they are.
"""

from __future__ import annotations

from typing import Any


class BeffroiError(Exception):
    status = 400
    title = "Requête invalide"
    type_slug = "bad-request"
    headers: dict[str, str] = {}  # extra HTTP headers of the answer

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


class TooManyAttempts(BeffroiError):
    """Too many attempts in a row (log in, password reset): wait ``retry_after_s``."""

    status = 429
    title = "Trop de tentatives"
    type_slug = "too-many-attempts"

    def __init__(self, retry_after_ms: int) -> None:
        seconds = max(1, -(-retry_after_ms // 1000))
        wait = f"{seconds} secondes" if seconds < 120 else f"{-(-seconds // 60)} minutes"
        super().__init__(f"Trop de tentatives : réessayez dans {wait}.",
                         extra={"retry_after": seconds})
        self.retry_after_s = seconds
        self.headers = {"Retry-After": str(seconds)}


class ServiceBusy(BeffroiError):
    """The server is busy with this kind of work: try again in ``retry_after_s``."""

    status = 503
    title = "Service momentanément occupé"
    type_slug = "busy"

    def __init__(self, detail: str, *, retry_after_s: int) -> None:
        super().__init__(detail, extra={"retry_after": retry_after_s})
        self.headers = {"Retry-After": str(retry_after_s)}
