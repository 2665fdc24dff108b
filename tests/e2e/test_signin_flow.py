"""Fresh workspace → first admin → add an analyst → sign out → analyst signs in without admin pages;
forged sign-in cookies leave the browser signed out."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import TIMEOUT, click, fill, open_page, shot, sign_in, wait_idle
from tests.ui.test_login_gate import forged_cookies
from ui.auth import COOKIE_NAME

pytestmark = pytest.mark.e2e


def test_first_admin_adds_an_analyst_who_sees_no_admin_pages(server, browser, shots: Path) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(server.url)
    expect(page.get_by_text("Create the first administrator", exact=True)).to_be_visible(timeout=TIMEOUT)
    shot(page, shots, "01-first-administrator")
    fill(page, "Username", "chief")
    fill(page, "Full name", "Chief Admin")
    fill(page, "E-mail", "chief@example.com")
    fill(page, "Password", "chief-pass-123")
    fill(page, "Repeat the password", "chief-pass-123")
    click(page, "Create administrator")
    expect(page.get_by_text("Signed in as")).to_be_visible(timeout=TIMEOUT)
    shot(page, shots, "02-home-admin")

    sent: list[object] = []  # what the browser sends the server: one message per run it asks for
    page.on("websocket", lambda socket: socket.on("framesent", lambda frame: sent.append(frame)))
    page.goto(server.url)  # the signed cookie keeps the session
    expect(page.get_by_text("Signed in as")).to_be_visible(timeout=TIMEOUT)
    page.wait_for_timeout(1500)
    assert len(sent) == 1, "a page load must run the app once (the cookie component reran it)"
    for _ in range(3):  # a menu click right after a load opens that page (that second run carried the old page)
        page.goto(server.url)
        expect(page.get_by_text("Signed in as")).to_be_visible(timeout=TIMEOUT)
        open_page(page, "Users & roles")
        expect(page.get_by_label("Initial password", exact=True)).to_be_visible(timeout=10_000)
    fill(page, "Username", "alice")
    fill(page, "E-mail", "alice@example.com")
    fill(page, "Initial password", "alice-pass-123")
    click(page, "Create user")
    expect(page.get_by_text("User alice created with role analyst.")).to_be_visible(timeout=TIMEOUT)
    fill(page, "Username", "alice")
    click(page, "Create user")
    expect(page.get_by_text("already taken")).to_be_visible(timeout=TIMEOUT)
    shot(page, shots, "03-users")

    click(page, "Sign out")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=TIMEOUT)
    page.reload()  # the cookie was deleted: still signed out
    expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=TIMEOUT)
    fill(page, "Username", "alice")
    fill(page, "Password", "wrong-pass-123")
    click(page, "Sign in")
    expect(page.get_by_text("Incorrect username or password.")).to_be_visible(timeout=TIMEOUT)
    shot(page, shots, "04-wrong-password")

    sign_in(page, "alice", "alice-pass-123")
    nav = page.get_by_test_id("stSidebarNav")
    expect(nav.get_by_text("Jobs", exact=True)).to_be_visible()
    for admin_page in ("Users & roles", "Audit log", "Tenants"):
        expect(nav.get_by_text(admin_page, exact=True)).to_have_count(0)
    shot(page, shots, "05-home-analyst")

    key = (server.home / "cookie.key").read_text().strip()
    for kind, token in forged_cookies(key, "chief").items():  # tampered, HS512, alg "none", …: signed out, no crash
        page.context.add_cookies([{"name": COOKIE_NAME, "value": token, "url": server.url}])
        page.reload()
        wait_idle(page)
        expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=TIMEOUT)
        expect(page.get_by_text("This app has encountered an error")).to_have_count(0)
        expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)
        assert page.get_by_text("Signed in as").count() == 0, kind
