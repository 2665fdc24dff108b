"""No dead ends: a bookmark opened signed out shows the sign-in form and then the bookmarked page; a viewer reads a
forecast model's leaderboard; a page the role lacks says so instead of Streamlit's "Page not found"."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from core.entities import TrainRequest
from tests.e2e.helpers import TIMEOUT, click, dataset_id, fill, first_admin, shot, trained, wait_idle, workspace

pytestmark = pytest.mark.e2e


def no_dead_end(page: Page) -> None:
    wait_idle(page)
    expect(page.get_by_text("Page not found")).to_have_count(0)
    expect(page.get_by_text("This app has encountered an error")).to_have_count(0)


def test_bookmarks_lead_through_sign_in_and_viewers_read_forecasts(server, browser, shots: Path) -> None:  # type: ignore[no-untyped-def]
    admin = browser.new_page(viewport={"width": 1400, "height": 1400})
    admin.goto(server.url)
    first_admin(admin)
    engine, chief = workspace(server.home)
    engine.users.create(chief, username="vera", password="vera-pass-123", email="vera@example.com", role="viewer")
    air = dataset_id(engine, chief, "air_passengers")
    request = TrainRequest(air, "air forecast", "passengers", problem_type="forecast", time_column="month")
    forecaster = trained(engine, chief, request)

    page = browser.new_context(viewport={"width": 1400, "height": 1400}).new_page()
    page.goto(f"{server.url}/models?model={forecaster}")  # a bookmark, signed out
    expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=TIMEOUT)
    no_dead_end(page)
    expect(page.get_by_label("Username", exact=True)).to_have_count(1, timeout=TIMEOUT)  # no stale first render
    fill(page, "Username", "vera")
    fill(page, "Password", "vera-pass-123")
    click(page, "Sign in")
    heading = page.get_by_role("heading", name=re.compile(r" v1 — "))
    expect(heading).to_have_text("air forecast v1 — forecast of passengers", timeout=TIMEOUT)
    no_dead_end(page)

    click(page, "Open its leaderboard, per-series choices and forecasts")
    expect(page.get_by_role("heading", name="Leaderboard")).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_text("Your role can read forecast models but not run forecasts.")).to_be_visible()
    no_dead_end(page)
    shot(page, shots, "01-viewer-forecast")

    page.goto(f"{server.url}/users")  # a page a viewer lacks
    expect(page.get_by_text("You don't have access to this page.")).to_be_visible(timeout=TIMEOUT)
    no_dead_end(page)
    shot(page, shots, "02-no-access")

    admin.goto(f"{server.url}/account")
    fill(admin, "Current password", "chief-pass-123")
    fill(admin, "New password", "chief-pass-456")
    fill(admin, "Repeat the new password", "chief-pass-456")
    click(admin, "Change password")
    admin.reload()
    no_dead_end(admin)
    expect(admin.get_by_role("button", name="Sign in").or_(admin.get_by_text("My account"))).to_be_visible()
