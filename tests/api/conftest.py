"""API fixtures: FastAPI's test client over a real inline engine on a temporary DATAML_HOME."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from core import Actor, Engine
from tests.conftest import ADMIN_PASSWORD, USER_PASSWORD

API = "/api/v1"


@pytest.fixture
def client(engine: Engine, admin: Actor) -> Iterator[TestClient]:
    """Server errors come back as 500 responses (as from uvicorn), not as exceptions in the test."""
    with TestClient(create_app(engine), raise_server_exceptions=False) as test_client:
        yield test_client


def sign_in(client: TestClient, username: str, password: str) -> dict[str, str]:
    """The token pair of a password sign-in (fails the test on anything but 200)."""
    response = client.post(f"{API}/login/access-token", data={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def bearer(tokens: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


@pytest.fixture
def admin_headers(client: TestClient) -> dict[str, str]:
    return bearer(sign_in(client, "admin", ADMIN_PASSWORD))


@pytest.fixture
def analyst_headers(client: TestClient, analyst: Actor) -> dict[str, str]:
    return bearer(sign_in(client, analyst.username, USER_PASSWORD))


@pytest.fixture
def viewer_headers(client: TestClient, viewer: Actor) -> dict[str, str]:
    return bearer(sign_in(client, viewer.username, USER_PASSWORD))


@pytest.fixture
def outsider_headers(client: TestClient, outsider: Actor) -> dict[str, str]:
    return bearer(sign_in(client, outsider.username, USER_PASSWORD))
