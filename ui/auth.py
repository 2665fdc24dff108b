"""The login gate: first-administrator form, sign-in form, remembered sessions, sign-out.

Credentials, bcrypt hashes, roles and throttling live in our database (``eng.users``); the
re-authentication cookie is a JWT signed with the workspace key, which we write and verify ourselves
(``remembered_sign_in``) so that no cookie can make the page fail.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import jwt
import streamlit as st

from core import PASSWORD_RULE, Actor, CoreError, Engine
from ui.engine import get_engine
from ui.errors import show_error

COOKIE_NAME = "dataml_session"
COOKIE_DAYS = 7.0
_PENDING = "_cookie_pending"  # the cookie value to write after this run's page; "" deletes it
_SIGNED_OUT = "_signed_out_here"  # this session signed out: its connection's cookie no longer counts


def current_actor() -> Actor:
    """The signed-in actor; pages run only after the gate has set it."""
    actor = st.session_state.get("actor")
    if not isinstance(actor, Actor):
        st.stop()
    return actor


def sign_out(engine: Engine) -> None:
    """Void the remembered sign-in server side, forget the actor; the cookie is deleted after the next page."""
    actor = st.session_state.get("actor")
    if isinstance(actor, Actor):
        engine.users.sign_out(actor)
    st.session_state.update({"actor": None, _SIGNED_OUT: True, _PENDING: ""})


def resolve_actor(engine: Engine) -> Actor | None:
    """The signed-in actor from this session or the remembered cookie; renders nothing."""
    actor = st.session_state.get("actor")
    if isinstance(actor, Actor):
        try:  # refresh every run: a deactivated user or changed role takes effect at once
            actor = engine.users.actor_for(actor.user_id)
        except CoreError:
            actor = None
    elif not st.session_state.get(_SIGNED_OUT, False):
        actor = _from_cookie(engine)
    st.session_state["actor"] = actor
    return actor


def write_pending_cookie() -> None:
    """Write (or delete) the cookie that sign-in or sign-out asked for, in a slot drawn first on every run.

    A script in the page, not a cookie component: a component reports back to the server and reruns the page
    after every load (a second run, and a click on the menu during it was lost: the rerun carried the old page).
    The slot is always there, so filling it moves no element of the page; drawn before the page, so a page that
    stops early still writes it.
    """
    slot = st.empty()
    token = st.session_state.pop(_PENDING, None)
    if token is None:
        return
    age = int(COOKIE_DAYS * 86400) if token else 0
    cookie = f"{COOKIE_NAME}={token}; Path=/; Max-Age={age}; SameSite=Strict"
    slot.html(f"<script>document.cookie = {json.dumps(cookie)};</script>", unsafe_allow_javascript=True)


def sign_in_page() -> None:
    """The only page before sign-in: the first-administrator form on a fresh workspace, else login."""
    engine = get_engine()
    actor = _bootstrap_form(engine) if engine.users.needs_bootstrap() else _login_form(engine)
    if actor is not None:
        st.session_state.update({"actor": actor, _SIGNED_OUT: False, _PENDING: _token(actor, engine.cookie_key)})
        st.rerun()


def _token(actor: Actor, key: str) -> str:
    """A remembered sign-in for ``actor``: its username and expiry, signed HS256 with the workspace key."""
    expires = (datetime.now(UTC) + timedelta(days=COOKIE_DAYS)).timestamp()
    return jwt.encode({"username": actor.username, "exp_date": expires}, key, algorithm="HS256")


def remembered_sign_in(token: str | None, key: str) -> tuple[str, datetime] | None:
    """The username and issue time (naive UTC) in a remembered sign-in cookie; None unless we signed it
    (HS256 with the workspace key) and it has not expired.

    Only HS256 is accepted: a token declaring another algorithm (HS512, "none") shows the sign-in form.
    """
    if not token:
        return None
    try:
        claims = jwt.decode(token, key, algorithms=["HS256"])
    except jwt.PyJWTError:  # malformed, forged, other algorithm or key, bad standard claims: not signed in
        return None
    username, expires = claims.get("username"), claims.get("exp_date")
    if not isinstance(username, str) or not isinstance(expires, int | float) or expires <= time.time():
        return None
    return username, datetime.fromtimestamp(expires, UTC).replace(tzinfo=None) - timedelta(days=COOKIE_DAYS)


def _from_cookie(engine: Engine) -> Actor | None:
    remembered = remembered_sign_in(st.context.cookies.get(COOKIE_NAME), engine.cookie_key)
    if remembered is None:
        return None
    try:
        return engine.users.actor_for_remembered(*remembered)
    except CoreError:
        return None


def _login_form(engine: Engine) -> Actor | None:
    with st.container():
        _, middle, _ = st.columns([1, 2, 1])
        with middle:
            st.title("DataML Studio")
            with st.form("login", enter_to_submit=True, clear_on_submit=True):
                st.subheader("Sign in")
                username = st.text_input("Username", key="login_username", autocomplete="username")
                password = st.text_input("Password", type="password", key="login_password")
                submitted = st.form_submit_button("Sign in", type="primary")
            if not submitted:
                return None
            if not username.strip() or not password:
                st.error("Enter your username and password.")
                return None
            try:
                actor = engine.users.authenticate(username, password)
            except CoreError as exc:
                show_error(exc)
                return None
    return actor


def _bootstrap_form(engine: Engine) -> Actor | None:
    with st.container():
        _, middle, _ = st.columns([1, 2, 1])
        with middle:
            st.title("Welcome to DataML Studio")
            st.write("This workspace is new. Create the first administrator to start.")
            with st.form("bootstrap"):
                st.subheader("Create the first administrator")
                username = st.text_input("Username", key="boot_username")
                name = st.text_input("Full name", key="boot_name")
                email = st.text_input("E-mail", key="boot_email")
                password = st.text_input("Password", type="password", key="boot_password", help=PASSWORD_RULE)
                repeat = st.text_input("Repeat the password", type="password", key="boot_repeat")
                tenant = st.text_input("Organisation (first tenant)", value="Default", key="boot_tenant")
                demo = st.checkbox("Load the demo datasets (iris, wine, diabetes, …)", value=True, key="boot_demo")
                submitted = st.form_submit_button("Create administrator", type="primary")
            if not submitted:
                return None
            if not (username.strip() and email.strip() and password):
                st.error("Username, e-mail and password are required.")
                return None
            if password != repeat:
                st.error("The two passwords differ.")
                return None
            try:
                actor = engine.users.bootstrap_admin(
                    username=username,
                    password=password,
                    email=email.strip(),
                    display_name=name.strip() or None,
                    tenant_name=tenant.strip() or "Default",
                )
                if demo:
                    engine.datasets.load_samples(actor)
            except CoreError as exc:
                show_error(exc)
                return None
    return actor
