"""Sign-in, the first administrator, users, roles and tenants through the engine."""

from __future__ import annotations

import stat

import pytest

from core import Actor, Conflict, Engine, InvalidInput, NotFound, PermissionDenied
from core.services.users import WRONG_CREDENTIALS
from tests.conftest import ADMIN_PASSWORD, USER_PASSWORD, make_user


def test_fresh_workspace_needs_first_administrator(engine: Engine) -> None:
    assert engine.users.needs_bootstrap()


def test_bootstrap_happens_only_once(engine: Engine, admin: Actor) -> None:
    assert not engine.users.needs_bootstrap()
    assert admin.role == "admin" and admin.is_platform_admin
    with pytest.raises(Conflict):
        engine.users.bootstrap_admin(username="second", password=ADMIN_PASSWORD, email="s@example.com")


def test_bootstrap_rejects_weak_password_stating_the_rule(engine: Engine) -> None:
    with pytest.raises(InvalidInput, match="at least 10 characters"):
        engine.users.bootstrap_admin(username="admin", password="short1", email="a@example.com")
    assert engine.users.needs_bootstrap()


def test_login_succeeds_with_right_password(engine: Engine, admin: Actor) -> None:
    actor = engine.users.authenticate("Admin ", ADMIN_PASSWORD)
    assert actor.user_id == admin.user_id and actor.can("users:manage")


def test_wrong_user_and_wrong_password_give_the_same_sentence(engine: Engine, admin: Actor) -> None:
    with pytest.raises(PermissionDenied) as unknown:
        engine.users.authenticate("nobody", ADMIN_PASSWORD)
    with pytest.raises(PermissionDenied) as wrong:
        engine.users.authenticate("admin", "wrong-password-1")
    assert unknown.value.message == wrong.value.message == WRONG_CREDENTIALS


def test_repeated_failures_lock_the_username(engine: Engine, admin: Actor) -> None:
    for _ in range(engine.settings.login_max_failures):
        with pytest.raises(PermissionDenied, match="Incorrect"):
            engine.users.authenticate("admin", "wrong-password-1")
    with pytest.raises(PermissionDenied, match="Too many failed sign-in attempts"):
        engine.users.authenticate("admin", ADMIN_PASSWORD)


def test_deactivated_user_cannot_sign_in(engine: Engine, admin: Actor, analyst: Actor) -> None:
    engine.users.set_active(admin, analyst.user_id, False)
    with pytest.raises(PermissionDenied, match="Incorrect"):
        engine.users.authenticate("ana", USER_PASSWORD)
    with pytest.raises(PermissionDenied):
        engine.users.actor_for(analyst.user_id)


def test_change_own_password(engine: Engine, analyst: Actor) -> None:
    with pytest.raises(PermissionDenied):
        engine.users.change_password(analyst, "not-the-password-1", "brand-new-pass-1")
    engine.users.change_password(analyst, USER_PASSWORD, "brand-new-pass-1")
    assert engine.users.authenticate("ana", "brand-new-pass-1").user_id == analyst.user_id


def test_admin_resets_password_and_unlocks(engine: Engine, admin: Actor, analyst: Actor) -> None:
    engine.users.reset_password(admin, analyst.user_id, "reset-pass-1234")
    assert engine.users.authenticate("ana", "reset-pass-1234").user_id == analyst.user_id


def test_duplicate_username_is_refused(engine: Engine, admin: Actor, analyst: Actor) -> None:
    with pytest.raises(Conflict, match="already taken"):
        engine.users.create(admin, username="ana", password=USER_PASSWORD, email="x@example.com", role="viewer")


def test_empty_fields_are_named(engine: Engine, admin: Actor) -> None:
    with pytest.raises(
        InvalidInput,
        match=r"username \(3–64 characters.*\); email \(not an e-mail address\); name \(1–100 characters\)",
    ) as error:
        engine.users.create(admin, username="", password=USER_PASSWORD, email="", role="viewer", display_name=" ")
    assert {p.field for p in error.value.problems} == {"username", "email", "name"}


def test_custom_role_grants_exactly_its_permissions(engine: Engine, admin: Actor) -> None:
    engine.users.create_role(admin, "scorer", ["inference:run", "models:read"])
    engine.users.create(admin, username="sam", password=USER_PASSWORD, email="sam@example.com", role="scorer")
    sam = engine.users.authenticate("sam", USER_PASSWORD)
    assert sam.permissions == frozenset({"inference:run", "models:read"})
    with pytest.raises(Conflict, match="still assigned"):
        engine.users.delete_role(admin, "scorer")
    with pytest.raises(InvalidInput, match="Unknown permission"):
        engine.users.create_role(admin, "bad", ["rockets:launch"])


def test_last_admin_cannot_be_demoted(engine: Engine, admin: Actor) -> None:
    with pytest.raises(Conflict, match="at least one active administrator"):
        engine.users.set_role(admin, admin.user_id, "viewer")


def test_tenant_admin_sees_only_own_users(engine: Engine, admin: Actor, outsider: Actor) -> None:
    assert [u.username for u in engine.users.list(outsider)] == ["otto"]
    with pytest.raises(NotFound):
        engine.users.reset_password(outsider, admin.user_id, "hijack-pass-123")
    with pytest.raises(PermissionDenied):
        engine.tenants.list(outsider)  # a tenant admin is not a platform admin


def test_cookie_key_is_generated_once_with_private_mode(engine: Engine) -> None:
    key = engine.cookie_key
    path = engine.settings.home / "cookie.key"
    assert len(key) >= 32 and engine.cookie_key == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_sign_ins_and_changes_are_audited(engine: Engine, admin: Actor, analyst: Actor) -> None:
    with pytest.raises(PermissionDenied):
        engine.users.authenticate("ana", "wrong-password-1")
    actions = [e.action for e in engine.audit.list(admin)]
    assert {"workspace.bootstrap", "user.created", "login", "login.failed"} <= set(actions)
    frame = engine.audit.frame(admin)
    assert list(frame.columns) == ["when (UTC)", "user", "action", "target", "details"]


def test_sign_out_and_password_change_void_remembered_sign_ins(engine: Engine, analyst: Actor) -> None:
    from datetime import timedelta

    from core.storage.orm import utcnow

    issued = utcnow() - timedelta(seconds=1)
    assert engine.users.actor_for_remembered("ana", issued).user_id == analyst.user_id
    engine.users.sign_out(analyst)
    with pytest.raises(PermissionDenied, match="session has ended"):
        engine.users.actor_for_remembered("ana", issued)
    later = utcnow() + timedelta(seconds=1)
    assert engine.users.actor_for_remembered("ana", later).user_id == analyst.user_id
    before_change = utcnow()
    engine.users.change_password(analyst, USER_PASSWORD, "brand-new-pass-2")
    with pytest.raises(PermissionDenied):
        engine.users.actor_for_remembered("ana", before_change)


@pytest.fixture
def user_manager(engine: Engine, admin: Actor) -> Actor:
    """A custom role holding only ``users:manage``: may run accounts, never hand out or take over more."""
    engine.users.create_role(admin, "usermgr", ["users:manage"])
    return make_user(engine, admin, "uma", "usermgr")


def test_user_manager_cannot_grant_a_role_beyond_their_own(engine: Engine, user_manager: Actor, analyst: Actor) -> None:
    with pytest.raises(PermissionDenied, match="cannot grant the role 'admin'") as refused:
        engine.users.set_role(user_manager, user_manager.user_id, "admin")
    assert "audit:read" in (refused.value.details or "")
    with pytest.raises(PermissionDenied, match="cannot grant"):
        engine.users.create(user_manager, username="mole", password=USER_PASSWORD, email="m@example.com", role="admin")
    with pytest.raises(PermissionDenied, match="cannot create a role"):
        engine.users.create_role(user_manager, "everything", ["users:manage", "audit:read"])
    assert engine.users.actor_for(user_manager.user_id).role == "usermgr"
    assert not engine.users.authenticate("ana", USER_PASSWORD).can("users:manage")


def test_user_manager_cannot_take_over_an_administrator(engine: Engine, admin: Actor, user_manager: Actor) -> None:
    with pytest.raises(PermissionDenied, match="cannot change 'admin'"):
        engine.users.reset_password(user_manager, admin.user_id, "hijack-pass-123")
    with pytest.raises(PermissionDenied, match="cannot change 'admin'"):
        engine.users.set_active(user_manager, admin.user_id, False)
    with pytest.raises(PermissionDenied, match="cannot change 'admin'"):
        engine.users.set_role(user_manager, admin.user_id, "usermgr")
    assert engine.users.authenticate("admin", ADMIN_PASSWORD).role == "admin"


def test_user_manager_still_manages_users_with_no_more_rights(
    engine: Engine, admin: Actor, user_manager: Actor
) -> None:
    peer = make_user(engine, admin, "umb", "usermgr")
    engine.users.reset_password(user_manager, peer.user_id, "reset-pass-1234")
    engine.users.set_active(user_manager, peer.user_id, False)
    created = engine.users.create(
        user_manager, username="umc", password=USER_PASSWORD, email="c@example.com", role="usermgr"
    )
    assert created.role == "usermgr"
    with pytest.raises(PermissionDenied, match="session has ended"):
        engine.users.actor_for(peer.user_id)  # deactivated


def test_tenant_admin_cannot_take_over_the_platform_admin_but_may_retire_them(
    engine: Engine, admin: Actor, analyst: Actor
) -> None:
    second = make_user(engine, admin, "adam", "admin")
    with pytest.raises(PermissionDenied, match="password of 'admin': they are a platform administrator") as refused:
        engine.users.reset_password(second, admin.user_id, "hijack-pass-123")
    assert "tenants:manage" in (refused.value.details or "")
    engine.users.reset_password(second, analyst.user_id, "reset-pass-1234")  # ordinary accounts: fine
    engine.users.reset_password(admin, second.user_id, "reset-pass-1234")  # the platform admin: anyone
    engine.users.set_active(second, admin.user_id, False)  # the first administrator left: nothing is gained
    with pytest.raises(PermissionDenied):
        engine.users.authenticate("admin", ADMIN_PASSWORD)


def test_roles_are_listed_only_to_user_managers(engine: Engine, admin: Actor, viewer: Actor) -> None:
    assert {r.name for r in engine.users.roles(admin)} >= {"admin", "analyst", "viewer"}
    with pytest.raises(PermissionDenied):
        engine.users.roles(viewer)
