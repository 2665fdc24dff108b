"""The users page: list, create, duplicate name, deactivate; hidden from analysts."""

from __future__ import annotations

from collections.abc import Callable

from streamlit.testing.v1 import AppTest

from core import Actor, Engine
from tests.conftest import USER_PASSWORD


def _create(at: AppTest, username: str, role: str = "analyst") -> AppTest:
    at.text_input(key="new_username").input(username)
    at.text_input(key="new_email").input(f"{username}@example.com")
    at.selectbox(key="new_role").select(role)
    at.text_input(key="new_password").input(USER_PASSWORD)
    return at.button(key="FormSubmitter:add_user-Create user").click().run()


def test_admin_creates_an_analyst(app: Callable[..., AppTest], engine: Engine, admin: Actor) -> None:
    at = _create(app(actor=admin, page="users.py"), "newbie")
    assert any("newbie created" in s.value for s in at.success)
    assert engine.users.authenticate("newbie", USER_PASSWORD).role == "analyst"


def test_creating_a_user_lists_it_at_once_and_empties_the_form(app: Callable[..., AppTest], admin: Actor) -> None:
    at = _create(app(actor=admin, page="users.py"), "newbie")
    assert not at.exception
    assert "newbie" in next(d.value for d in at.dataframe if "username" in d.value.columns)["username"].tolist()
    assert at.text_input(key="new_password").value == "" and at.text_input(key="new_username").value == ""


def test_creating_a_tenant_lists_it_at_once_and_empties_the_form(
    app: Callable[..., AppTest], engine: Engine, admin: Actor
) -> None:
    at = app(actor=admin, page="tenants.py")
    at.text_input(key="tenant_name").input("acme")
    at.text_input(key="tenant_admin").input("acme_admin")
    at.text_input(key="tenant_email").input("boss@acme.example")
    at.text_input(key="tenant_password").input(USER_PASSWORD)
    at.button(key="FormSubmitter:add_tenant-Create tenant").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("Tenant acme created" in s.value for s in at.success)
    assert "acme" in next(d.value for d in at.dataframe if "tenant" in d.value.columns)["tenant"].tolist()
    assert at.text_input(key="tenant_password").value == "" and at.text_input(key="tenant_name").value == ""


def test_duplicate_username_gets_a_clear_sentence(app: Callable[..., AppTest], admin: Actor, analyst: Actor) -> None:
    at = _create(app(actor=admin, page="users.py"), "ana")
    assert any("already taken" in e.value for e in at.error)


def test_admin_deactivates_a_user(app: Callable[..., AppTest], engine: Engine, admin: Actor, analyst: Actor) -> None:
    at = app(actor=admin, page="users.py")
    at.selectbox(key="manage_user").select("ana")
    at.run()
    at.button(key="manage_toggle").click().run()
    assert not at.exception
    assert not next(u for u in engine.users.list(admin) if u.username == "ana").active


def test_navigation_shows_only_permitted_pages(analyst: Actor, admin: Actor) -> None:
    from ui.navigation import PAGES

    def titles(actor: Actor) -> set[str]:
        return {p.title for p in PAGES if p.permission is None or actor.can(p.permission)}

    assert {"Users & roles", "Audit log", "Tenants"} <= titles(admin)
    assert not {"Users & roles", "Audit log", "Tenants"} & titles(analyst)


def test_users_page_refuses_an_analyst_who_opens_it_directly(app: Callable[..., AppTest], analyst: Actor) -> None:
    at = AppTest.from_file(str(__import__("pathlib").Path(__file__).resolve().parents[2] / "pages" / "users.py"))
    at.session_state["actor"] = analyst
    at.run()
    assert any("does not allow" in e.value for e in at.error)
