"""Deliverables 1 and 8: the app serves offline docs and an OpenAPI document; one error mapping for all routes."""

from __future__ import annotations

import logging

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient

from api.access_log import RedactSecrets, redact
from api.main import create_app
from core import Engine
from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Problem, TooLarge, Unauthenticated
from tests.api.conftest import API

ERRORS = {"401", "403", "404", "409", "413", "422", "500"}


def test_docs_and_their_assets_are_served_without_a_cdn(client: TestClient) -> None:
    for page in ("docs", "redoc"):
        html = client.get(f"{API}/{page}").text
        assert "cdn." not in html and "unpkg" not in html and "fonts.googleapis" not in html
    swagger = client.get(f"{API}/docs").text
    assert f"{API}/docs-static/swagger-ui-bundle.js" in swagger
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js"):
        response = client.get(f"{API}/docs-static/{asset}")
        assert response.status_code == 200 and len(response.content) > 10_000


def test_openapi_declares_every_error_and_the_auth_on_every_route(client: TestClient) -> None:
    schema = client.get(f"{API}/openapi.json").json()
    assert schema["components"]["securitySchemes"]["OAuth2PasswordBearer"]["flows"]["password"]["tokenUrl"]
    assert "UUID" in schema["info"]["description"] and "by id" in schema["info"]["description"]
    operations = [op for path in schema["paths"].values() for op in path.values()]
    assert operations
    for operation in operations:
        assert set(operation["responses"]) >= ERRORS, operation["operationId"]
        assert operation["responses"]["422"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorOut")


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (NotFound("gone"), 404),
        (PermissionDenied("no"), 403),
        (Unauthenticated("who?"), 401),
        (Conflict("taken"), 409),
        (InvalidInput("bad", [Problem("wrong type", field="price", row=3, value="abc")]), 422),
        (TooLarge("big"), 413),
        (RuntimeError("secret internals"), 500),
    ],
)
def test_one_mapping_from_engine_errors_to_statuses(engine: Engine, error: Exception, status: int) -> None:
    app = create_app(engine)
    router = APIRouter()

    @router.get("/boom")
    def boom() -> None:
        raise error

    app.include_router(router)
    response = TestClient(app, raise_server_exceptions=False).get("/boom")
    assert response.status_code == status
    body = response.json()
    assert body["request_id"] == response.headers["x-request-id"]
    assert ("WWW-Authenticate" in response.headers) == (status == 401)
    if status == 422:
        assert body["problems"] == [{"problem": "wrong type", "field": "price", "row": 3, "value": "abc"}]
    if status == 500:
        assert "secret internals" not in response.text and "Traceback" not in response.text


def test_request_validation_errors_have_the_same_shape(client: TestClient) -> None:
    response = client.post(f"{API}/login/access-token", data={"username": "admin"})
    assert response.status_code == 422
    assert response.json()["problems"][0]["field"] == "password"


def test_unknown_routes_answer_404_in_the_error_shape(client: TestClient) -> None:
    response = client.get(f"{API}/no-such-route")
    assert response.status_code == 404 and response.json()["request_id"]


def test_secrets_in_query_strings_never_reach_the_access_log() -> None:
    path = "/api/v1/refresh?refresh_token=eyJabc.def&x=1&new_password=Secret123"
    assert redact(path) == "/api/v1/refresh?refresh_token=***&x=1&new_password=***"
    record = logging.LogRecord("uvicorn.access", logging.INFO, "", 0, "%s %s %s", ("1.2.3.4", "POST", path), None)
    RedactSecrets().filter(record)
    assert "eyJabc" not in record.getMessage() and "Secret123" not in record.getMessage()
