"""Deliverable 2: password sign-in, test/validate token, refresh rotation and reuse, logout, password reset."""

from __future__ import annotations

import time

import jwt
import pytest
from fastapi.testclient import TestClient

from core import Actor, Engine
from core.security.secrets import derived_key
from core.services.tokens import AUDIENCE
from tests.api.conftest import API, bearer, sign_in
from tests.conftest import ADMIN_PASSWORD, USER_PASSWORD


def _forge(engine: Engine, actor: Actor, **claims: object) -> str:
    """A token signed with the real API key (tests only), with the given claims over valid ones."""
    now = time.time()
    base = {"sub": actor.user_id, "jti": "x", "typ": "access", "aud": AUDIENCE, "iat": now, "exp": now + 60}
    return jwt.encode(base | claims, derived_key(engine.cookie_key, "api-token"), algorithm="HS256")


def _whoami(client: TestClient, token: str) -> int:
    return client.post(f"{API}/login/test-token", headers={"Authorization": f"Bearer {token}"}).status_code


def test_password_sign_in_returns_a_token_pair_the_user_routes_accept(client: TestClient) -> None:
    tokens = sign_in(client, "admin", ADMIN_PASSWORD)
    assert tokens["token_type"] == "bearer" and tokens["expires_in"] == 900
    me = client.post(f"{API}/login/test-token", headers=bearer(tokens)).json()
    assert me["username"] == "admin" and me["email"] == "admin@example.com" and me["is_active"]
    assert client.get(f"{API}/validate-token", headers=bearer(tokens)).json()["id"] == me["id"]


def test_seed_form_fields_are_accepted(client: TestClient) -> None:
    form = {"grant_type": "password", "username": "admin", "password": ADMIN_PASSWORD, "scope": "", "client_id": "c"}
    assert client.post(f"{API}/login/access-token", data=form).status_code == 200


def test_wrong_credentials_answer_401_and_are_throttled_and_audited(
    client: TestClient, engine: Engine, admin: Actor
) -> None:
    for _ in range(engine.settings.login_max_failures):
        response = client.post(f"{API}/login/access-token", data={"username": "admin", "password": "wrong-pass"})
        assert response.status_code == 401 and response.headers["WWW-Authenticate"] == "Bearer"
    locked = client.post(f"{API}/login/access-token", data={"username": "admin", "password": ADMIN_PASSWORD})
    assert locked.status_code == 401 and "Too many failed" in locked.json()["detail"]
    assert "login.failed" in set(engine.audit.frame(admin)["action"])


@pytest.mark.parametrize("case", ["missing", "garbage", "tampered", "expired", "refresh type", "cookie", "no aud"])
def test_bad_access_tokens_answer_401_with_a_challenge(
    client: TestClient, engine: Engine, admin: Actor, case: str
) -> None:
    tokens = sign_in(client, "admin", ADMIN_PASSWORD)
    head, body, signature = tokens["access_token"].split(".")
    token = {
        "missing": "",
        "garbage": "not-a-jwt",
        "tampered": f"{head}.{body}.{signature[:-4]}AAAA",
        "expired": _forge(engine, admin, exp=time.time() - 1),
        "refresh type": tokens["refresh_token"],
        # the Streamlit sign-in cookie: signed with the workspace secret itself, claims username/exp_date
        "cookie": jwt.encode(
            {"username": "admin", "exp_date": time.time() + 3600}, engine.cookie_key, algorithm="HS256"
        ),
        "no aud": jwt.encode(
            {"sub": admin.user_id, "jti": "x", "typ": "access", "iat": time.time(), "exp": time.time() + 60},
            derived_key(engine.cookie_key, "api-token"),
            algorithm="HS256",
        ),
    }[case]
    response = client.post(f"{API}/login/test-token", headers={"Authorization": f"Bearer {token}"} if token else {})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_an_api_token_is_never_a_sign_in_cookie(client: TestClient, engine: Engine) -> None:
    from ui.auth import remembered_sign_in

    tokens = sign_in(client, "admin", ADMIN_PASSWORD)
    assert remembered_sign_in(tokens["access_token"], engine.cookie_key) is None
    assert remembered_sign_in(tokens["refresh_token"], engine.cookie_key) is None


def test_refresh_rotates_and_reuse_revokes_the_whole_chain(client: TestClient, engine: Engine, admin: Actor) -> None:
    first = sign_in(client, "admin", ADMIN_PASSWORD)
    second = client.post(f"{API}/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    second_tokens = second.json()
    assert second_tokens["refresh_token"] != first["refresh_token"]
    assert _whoami(client, second_tokens["access_token"]) == 200
    # the seed's query-string form works too
    third = client.post(f"{API}/refresh", params={"refresh_token": second_tokens["refresh_token"]})
    assert third.status_code == 200
    # someone replays the first (spent) refresh token: refused, and the newest one dies with the chain
    replay = client.post(f"{API}/refresh", json={"refresh_token": first["refresh_token"]})
    assert replay.status_code == 401
    assert client.post(f"{API}/refresh", json={"refresh_token": third.json()["refresh_token"]}).status_code == 401
    assert "api.refresh_reused" in set(engine.audit.frame(admin)["action"])
    # another sign-in is another chain, untouched
    other = sign_in(client, "admin", ADMIN_PASSWORD)
    assert client.post(f"{API}/refresh", json={"refresh_token": other["refresh_token"]}).status_code == 200


def test_refresh_refuses_access_tokens_and_needs_a_token(client: TestClient) -> None:
    tokens = sign_in(client, "admin", ADMIN_PASSWORD)
    assert client.post(f"{API}/refresh", json={"refresh_token": tokens["access_token"]}).status_code == 401
    assert client.post(f"{API}/refresh").status_code == 422


def test_logout_revokes_the_refresh_token(client: TestClient) -> None:
    tokens = sign_in(client, "admin", ADMIN_PASSWORD)
    response = client.post(f"{API}/logout", params={"refresh_token": tokens["refresh_token"]})
    assert response.status_code == 200
    assert client.post(f"{API}/refresh", json={"refresh_token": tokens["refresh_token"]}).status_code == 401


def test_deactivated_users_and_signed_out_sessions_lose_their_tokens(
    client: TestClient, engine: Engine, admin: Actor, analyst: Actor
) -> None:
    tokens = sign_in(client, analyst.username, USER_PASSWORD)
    engine.users.set_active(admin, analyst.user_id, False)
    assert _whoami(client, tokens["access_token"]) == 401
    assert client.post(f"{API}/refresh", json={"refresh_token": tokens["refresh_token"]}).status_code == 401
    engine.users.set_active(admin, analyst.user_id, True)
    tokens = sign_in(client, analyst.username, USER_PASSWORD)
    engine.users.sign_out(analyst)  # "sign out everywhere" on the pages
    assert _whoami(client, tokens["access_token"]) == 401
    assert client.post(f"{API}/refresh", json={"refresh_token": tokens["refresh_token"]}).status_code == 401
    assert _whoami(client, sign_in(client, analyst.username, USER_PASSWORD)["access_token"]) == 200


def test_reset_password_by_a_user_manager(client: TestClient, admin_headers: dict[str, str], analyst: Actor) -> None:
    params = {"user_name": analyst.username, "new_password": "New-password-456"}
    assert client.post(f"{API}/reset-password", params=params, headers=admin_headers).status_code == 200
    sign_in(client, analyst.username, "New-password-456")


def test_reset_password_of_ones_own_needs_the_old_password(
    client: TestClient, analyst_headers: dict[str, str], analyst: Actor, admin: Actor
) -> None:
    body = {"user_name": analyst.username, "new_password": "New-password-456"}
    assert client.post(f"{API}/reset-password", json=body, headers=analyst_headers).status_code == 403
    wrong = body | {"old_password": "not-it-at-all"}
    assert client.post(f"{API}/reset-password", json=wrong, headers=analyst_headers).status_code == 403
    someone_else = {"user_name": "admin", "new_password": "New-password-456", "old_password": USER_PASSWORD}
    assert client.post(f"{API}/reset-password", json=someone_else, headers=analyst_headers).status_code == 403
    right = body | {"old_password": USER_PASSWORD}
    assert client.post(f"{API}/reset-password", json=right, headers=analyst_headers).status_code == 200
    assert _whoami(client, analyst_headers["Authorization"].split()[1]) == 401  # a password change ends sessions
    sign_in(client, analyst.username, "New-password-456")


def test_reset_password_is_never_unauthenticated_and_checks_its_input(
    client: TestClient, admin_headers: dict[str, str], outsider: Actor
) -> None:
    params = {"user_name": "admin", "new_password": "New-password-456"}
    assert client.post(f"{API}/reset-password", params=params).status_code == 401
    assert client.post(f"{API}/reset-password", params={"user_name": "admin"}, headers=admin_headers).status_code == 422
    weak = {"user_name": "admin", "new_password": "x"}
    assert client.post(f"{API}/reset-password", params=weak, headers=admin_headers).status_code == 422
    other_tenant = {"user_name": outsider.username, "new_password": "New-password-456"}
    assert client.post(f"{API}/reset-password", params=other_tenant, headers=admin_headers).status_code == 404
