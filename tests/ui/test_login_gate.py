"""The login gate: first administrator, sign-in, wrong credentials, navigation by role."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from datetime import UTC

import jwt
import pytest
from streamlit.testing.v1 import AppTest

from core import Actor, Engine
from tests.conftest import ADMIN_PASSWORD
from ui.auth import COOKIE_DAYS, remembered_sign_in


def _sign_in(at: AppTest, username: str, password: str) -> AppTest:
    at.text_input(key="login_username").input(username)
    at.text_input(key="login_password").input(password)
    return at.button(key="FormSubmitter:login-Sign in").click().run()


def test_fresh_workspace_asks_for_first_administrator(app: Callable[..., AppTest]) -> None:
    at = app()
    assert any("Create the first administrator" in s.value for s in at.subheader)
    assert not [t for t in at.text_input if t.key == "login_username"]


def test_first_administrator_form_creates_admin_and_signs_in(app: Callable[..., AppTest], engine: Engine) -> None:
    at = app()
    at.text_input(key="boot_username").input("root")
    at.text_input(key="boot_email").input("root@example.com")
    at.text_input(key="boot_password").input(ADMIN_PASSWORD)
    at.text_input(key="boot_repeat").input(ADMIN_PASSWORD)
    at.button(key="FormSubmitter:bootstrap-Create administrator").click().run()
    assert not at.exception
    assert isinstance(at.session_state["actor"], Actor)
    assert not engine.users.needs_bootstrap()


def test_weak_password_in_first_form_states_the_rule(app: Callable[..., AppTest]) -> None:
    at = app()
    at.text_input(key="boot_username").input("root")
    at.text_input(key="boot_email").input("root@example.com")
    at.text_input(key="boot_password").input("short")
    at.text_input(key="boot_repeat").input("short")
    at.button(key="FormSubmitter:bootstrap-Create administrator").click().run()
    assert any("at least 10 characters" in e.value for e in at.error)


def test_wrong_password_shows_one_sentence(app: Callable[..., AppTest], admin: Actor) -> None:
    at = _sign_in(app(), "admin", "wrong-password-9")
    assert [e.value for e in at.error] == ["Incorrect username or password."]
    assert at.session_state["actor"] is None


def test_empty_fields_are_refused(app: Callable[..., AppTest], admin: Actor) -> None:
    at = _sign_in(app(), "", "")
    assert [e.value for e in at.error] == ["Enter your username and password."]


def test_sign_in_shows_home(app: Callable[..., AppTest], admin: Actor) -> None:
    """Sign-out and deactivation need a rerun of app.py, which AppTest skips after navigation: see e2e."""
    at = _sign_in(app(), "admin", ADMIN_PASSWORD)
    assert not at.exception
    assert at.session_state["actor"].username == "admin"
    assert any("Signed in as" in m.value for m in at.markdown)


def _segment(part: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()


def forged_cookies(key: str, username: str) -> dict[str, str]:
    """Cookie values an attacker might try (HS512 even with the real key): none may sign anyone in or crash."""
    claims = {"username": username, "exp_date": time.time() + 3600}
    return {
        "tampered": "tampered.token.value",
        "hs512": jwt.encode(claims, key, algorithm="HS512"),
        "alg-none": jwt.encode(claims, "", algorithm="none"),  # PyJWT takes "" as the none key
        "other-key": jwt.encode(claims, "another-workspace-key-0123456789abcdef", algorithm="HS256"),
        "bad-key-id": f"{_segment({'alg': 'HS256', 'kid': 5})}.{_segment(claims)}.c2ln",
        "not-a-token": "€",
    }


KEY = "workspace-key-" + "0123456789abcdef" * 4  # as long as a generated one


@pytest.mark.parametrize("kind", list(forged_cookies(KEY, "admin")))
def test_forged_remembered_sign_in_cookie_means_signed_out(kind: str) -> None:
    assert remembered_sign_in(forged_cookies(KEY, "admin")[kind], KEY) is None


def test_remembered_sign_in_cookie_we_signed_names_the_user_until_it_expires() -> None:
    expires = time.time() + 3600
    remembered = remembered_sign_in(jwt.encode({"username": "admin", "exp_date": expires}, KEY), KEY)
    assert remembered is not None and remembered[0] == "admin"
    assert remembered[1].replace(tzinfo=UTC).timestamp() == pytest.approx(expires - COOKIE_DAYS * 86400)
    assert remembered_sign_in(jwt.encode({"username": "admin", "exp_date": time.time() - 1}, KEY), KEY) is None
    assert remembered_sign_in(None, KEY) is None
