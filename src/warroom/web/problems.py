"""RFC 9457 problem documents for every error the API returns."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError
from starlette.exceptions import HTTPException

from warroom.errors import Unauthorized, WarroomError

log = logging.getLogger(__name__)
PROBLEM_MEDIA_TYPE = "application/problem+json"
_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Content too large",
    415: "Unsupported media type",
    422: "Validation failed",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}


def problem(
    status: int,
    detail: str,
    *,
    title: str | None = None,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    """A problem+json response."""
    body = {
        "type": "about:blank",
        "title": title or _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def _field_name(location: tuple[Any, ...]) -> str:
    parts = [str(p) for p in location]
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:] or parts
    return ".".join(parts)


HtmlError = Callable[[Request, int, str, str], Response]


async def _domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, WarroomError)
    html_error: HtmlError | None = getattr(request.app.state, "html_error", None)
    if html_error is not None and getattr(request.state, "signed_in", None) is not None:
        return html_error(request, exc.status, exc.title, exc.detail)
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthorized) else None
    return problem(exc.status, exc.detail, title=exc.title, headers=headers, **exc.extra())


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    for error in errors:
        if error.get("type") == "json_invalid":
            reason = error.get("ctx", {}).get("error", "invalid JSON")
            return problem(
                400, f"the body is not valid JSON: {reason} at position {error['loc'][-1]}"
            )
    content_type = request.headers.get("content-type", "")
    if any(e.get("loc") == ("body",) for e in errors) and "json" not in content_type:
        return problem(415, "send the body as JSON with Content-Type: application/json")
    fields = [{"field": _field_name(tuple(e["loc"])), "message": e["msg"]} for e in errors]
    detail = "; ".join(f"{f['field']}: {f['message']}" for f in fields)
    return problem(422, detail, errors=fields)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else _TITLES.get(exc.status_code, "Error")
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"nothing at {request.url.path}"
    return problem(exc.status_code, detail, headers=exc.headers)


async def _integrity_error(request: Request, exc: Exception) -> JSONResponse:
    log.info("integrity error on %s: %s", request.url.path, exc)
    return problem(409, "the change conflicts with data written at the same time; retry it")


async def _data_error(request: Request, exc: Exception) -> JSONResponse:
    log.warning("data error on %s: %s", request.url.path, exc)
    return problem(422, "a value is too long or not valid for storage; nothing was written")


async def _storage_error(request: Request, exc: Exception) -> JSONResponse:
    log.error("storage error on %s: %s", request.url.path, exc)
    return problem(503, "storage is unavailable; retry shortly", headers={"Retry-After": "5"})


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error on %s", request.url.path)
    return problem(500, "an unexpected error occurred; it was logged")


def install(app: FastAPI, html_error: HtmlError | None = None) -> None:
    """Register the handlers that turn every error into a problem document (a page in the UI)."""
    app.state.html_error = html_error
    app.add_exception_handler(WarroomError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(DataError, _data_error)
    app.add_exception_handler(DBAPIError, _storage_error)
    app.add_exception_handler(Exception, _unexpected_error)
