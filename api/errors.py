"""One mapping from engine errors to HTTP statuses, declared on every route and applied by handlers."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core import (
    Conflict,
    CoreError,
    InvalidInput,
    JobFailed,
    NotFound,
    PermissionDenied,
    TooLarge,
    Unauthenticated,
)

log = logging.getLogger("api")

# First match wins: subclasses before their parents.
STATUS: tuple[tuple[type[CoreError], int], ...] = (
    (Unauthenticated, 401),
    (PermissionDenied, 403),
    (NotFound, 404),
    (Conflict, 409),
    (JobFailed, 409),
    (TooLarge, 413),
    (InvalidInput, 422),
)
CHALLENGE = {"WWW-Authenticate": "Bearer"}


class ProblemOut(BaseModel):
    """One thing wrong with the input: the field, row, or value, and what."""

    problem: str
    field: str | None = None
    row: int | None = None
    value: str | None = None


class ErrorOut(BaseModel):
    """Every error has this shape; ``request_id`` matches the server log (and the X-Request-ID header)."""

    detail: str
    details: str | None = None
    problems: list[ProblemOut] = []
    request_id: str | None = None


def _doc(description: str) -> dict[str, Any]:
    return {"model": ErrorOut, "description": description}


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _doc("The body could not be parsed (not JSON, or not the form it should be)."),
    401: _doc("No, an expired, a forged or a revoked token, or wrong credentials (with WWW-Authenticate)."),
    403: _doc("Signed in, but the role does not allow this."),
    404: _doc("Not found, or belongs to another tenant (existence never leaks)."),
    409: _doc("Clashes with existing state: a duplicate name, or still in use."),
    413: _doc("An upload is larger than DATAML_MAX_UPLOAD_MB."),
    422: _doc("The input is unusable; `problems` lists what is wrong, field by field or row by row."),
    500: _doc("An unexpected error; `request_id` finds it in the server log. No traceback is sent."),
}


def status_of(exc: CoreError) -> int:
    return next((status for kind, status in STATUS if isinstance(exc, kind)), 422)


def _request_id(request: Request) -> str:
    return str(request.scope.get("state", {}).get("request_id") or uuid.uuid4().hex)


def _error(request: Request, status: int, body: ErrorOut, headers: dict[str, str] | None = None) -> JSONResponse:
    body.request_id = _request_id(request)
    headers = {**(headers or {}), "X-Request-ID": body.request_id}
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


async def _core_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, CoreError)
    status = status_of(exc)
    problems = [ProblemOut(**vars(p)) for p in exc.problems] if isinstance(exc, InvalidInput) else []
    body = ErrorOut(detail=exc.message, details=exc.details, problems=problems)
    return _error(request, status, body, CHALLENGE if status == 401 else None)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [
        ProblemOut(problem=str(e.get("msg", "invalid")), field=".".join(str(p) for p in e.get("loc", ())[1:]) or None)
        for e in exc.errors()
    ]
    return _error(request, 422, ErrorOut(detail="The request is not valid.", problems=problems))


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    headers = dict(exc.headers or {}) | (CHALLENGE if exc.status_code == 401 else {})
    return _error(request, exc.status_code, ErrorOut(detail=str(exc.detail)), headers)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    body = ErrorOut(detail="An unexpected error happened; please report the request id.")
    response = _error(request, 500, body)
    log.error("request %s failed", body.request_id, exc_info=exc)  # the traceback stays in the server log
    return response


class RequestIdMiddleware:
    """Gives each request an id (``scope["state"]["request_id"]``), sent back as ``X-Request-ID``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"]
                message["headers"] = [*headers, (b"x-request-id", request_id.encode())]
            await send(message)

        await self.app(scope, receive, send_with_id)


def install(app: FastAPI) -> None:
    app.add_exception_handler(CoreError, _core_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
    app.add_middleware(RequestIdMiddleware)
