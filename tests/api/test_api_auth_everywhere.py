"""Every route but sign-in, refresh, logout and the health check needs a valid access token: a missing, expired,
tampered or wrong-type token answers 401 with a challenge, before any input is read."""

from __future__ import annotations

import time

import jwt
import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from core import Actor, Engine
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


@pytest.mark.parametrize(("method", "path"), _operations())
@pytest.mark.parametrize("case", ["missing", "expired", "tampered", "refresh type"])
def test_bad_tokens_answer_401_on_every_protected_route(
    client: TestClient, engine: Engine, admin: Actor, method: str, path: str, case: str
) -> None:
    tokens = sign_in(client, "admin", ADMIN_PASSWORD)
    now = time.time()
    expired = {"sub": admin.user_id, "jti": "x", "typ": "access", "aud": AUDIENCE, "iat": now - 60, "exp": now - 1}
    head, body, signature = tokens["access_token"].split(".")
    token = {
        "missing": None,
        "expired": jwt.encode(expired, derived_key(engine.cookie_key, "api-token"), algorithm="HS256"),
        "tampered": f"{head}.{body}.{signature[:-4]}AAAA",
        "refresh type": tokens["refresh_token"],
    }[case]
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = client.request(method, path, headers=headers, params={"dataset_id": SOME_ID, "file_id": SOME_ID})
    assert response.status_code == 401, response.text
    assert response.headers["WWW-Authenticate"] == "Bearer"
