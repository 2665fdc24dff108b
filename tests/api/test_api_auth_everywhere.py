"""Every route but sign-in, refresh, logout and the health check needs a valid access token: a missing, expired,
tampered or wrong-type token answers 401 with a challenge, before any input is read."""

from __future__ import annotations

import time
from collections.abc import Iterator

import jwt
import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from core import Engine
from core.security.secrets import derived_key
from core.services.tokens import AUDIENCE
from tests.api.conftest import API, sign_in
from tests.conftest import ADMIN_PASSWORD

OPEN = {"/login/access-token", "/refresh", "/logout", "/utils/health-check/", "/attribution/ping"}
SOME_ID = "00000000-0000-0000-0000-000000000000"


def _operations() -> list[tuple[str, str]]:
    schema = create_app.__globals__["app"].openapi()
    return [
        (method.upper(), _fill(path))
        for path, operations in schema["paths"].items()
        if path.removeprefix(API) not in OPEN
        for method in operations
    ]


def _fill(path: str) -> str:
    return "/".join(SOME_ID if part.startswith("{") else part for part in path.split("/"))


@pytest.fixture(scope="module")
def bad_tokens(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, dict[str, str | None]]]:
    """One workspace and one sign-in for the module (some 600 requests); the four kinds of bad token."""
    engine = Engine.open(home=tmp_path_factory.mktemp("auth") / "workspace", runner="inline")
    admin = engine.users.bootstrap_admin(username="admin", password=ADMIN_PASSWORD, email="admin@example.com")
    with TestClient(create_app(engine), raise_server_exceptions=False) as client:
        tokens = sign_in(client, "admin", ADMIN_PASSWORD)
        now = time.time()
        expired = {"sub": admin.user_id, "jti": "x", "typ": "access", "aud": AUDIENCE, "iat": now - 60, "exp": now - 1}
        head, body, signature = tokens["access_token"].split(".")
        yield (
            client,
            {
                "missing": None,
                "expired": jwt.encode(expired, derived_key(engine.cookie_key, "api-token"), algorithm="HS256"),
                "tampered": f"{head}.{body}.{signature[:-4]}AAAA",
                "refresh type": tokens["refresh_token"],
            },
        )
    engine.close()


@pytest.mark.parametrize(("method", "path"), _operations())
@pytest.mark.parametrize("case", ["missing", "expired", "tampered", "refresh type"])
def test_bad_tokens_answer_401_on_every_protected_route(
    bad_tokens: tuple[TestClient, dict[str, str | None]], method: str, path: str, case: str
) -> None:
    client, tokens = bad_tokens
    token = tokens[case]
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = client.request(method, path, headers=headers, params={"dataset_id": SOME_ID, "file_id": SOME_ID})
    assert response.status_code == 401, response.text
    assert response.headers["WWW-Authenticate"] == "Bearer"
