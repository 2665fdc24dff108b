"""Small Playwright steps shared by the browser tests."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

TIMEOUT = 60_000


def wait_idle(page: Page) -> None:
    """Wait until Streamlit has finished the current script run."""
    page.wait_for_timeout(300)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=TIMEOUT
    )


def fill(page: Page, label: str, value: str) -> None:
    box = page.get_by_label(label, exact=True)
    box.fill(value)
    box.press("Tab")


def click(page: Page, name: str) -> None:
    page.get_by_role("button", name=name, exact=True).click()
    wait_idle(page)


def open_page(page: Page, title: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_text(title, exact=True).click()
    wait_idle(page)


def shot(page: Page, folder: Path, name: str) -> None:
    wait_idle(page)
    page.wait_for_timeout(500)  # let charts and tables finish drawing
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def sign_in(page: Page, username: str, password: str) -> None:
    expect(page.get_by_text("Sign in", exact=True).first).to_be_visible(timeout=TIMEOUT)
    fill(page, "Username", username)
    fill(page, "Password", password)
    click(page, "Sign in")
    expect(page.get_by_text("Signed in as")).to_be_visible(timeout=TIMEOUT)
