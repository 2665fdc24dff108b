"""Sign-in, the first administrator, users and roles of a tenant."""

from __future__ import annotations

import builtins
import re
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from core.entities import Actor, Role, User
from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Problem
from core.security.passwords import check_password_rule, dummy_hash, hash_password, verify_password
from core.security.permissions import (
    BUILTIN_ROLES,
    LABELS,
    PERMISSIONS,
    PLATFORM_PERMISSION,
    check_permission_names,
)
from core.services.base import Service, record, require
from core.services.escalation import check_grantable, check_manageable, check_within, permissions_of
from core.storage.orm import utcnow
from core.storage.repositories import audit as audit_repo
from core.storage.repositories import identity as repo

WRONG_CREDENTIALS = "Incorrect username or password."
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{2,63}$")
_PERMISSION = re.compile(r"^[a-z][a-z0-9_.:]{2,63}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def check_identity_fields(username: str, email: str, display_name: str) -> None:
    problems = []
    if not _USERNAME.match(username):
        problems.append(Problem("3–64 characters: lower-case letters, digits, '.', '_' or '-'", field="username"))
    if not _EMAIL.match(email):
        problems.append(Problem("not an e-mail address", field="email"))
    if not display_name.strip() or len(display_name) > 100:
        problems.append(Problem("1–100 characters", field="name"))
    if len(email) > 200:
        problems.append(Problem("at most 200 characters", field="email"))
    if problems:
        said = "; ".join(f"{p.field} ({p.problem})" for p in problems)  # the rule itself, not only the field
        raise InvalidInput(f"Please correct: {said}.", problems)


class UserService(Service):
    def needs_bootstrap(self) -> bool:
        """True on a fresh workspace: the UI then asks for the first administrator."""
        with self.db.session() as session:
            return repo.count_users(session) == 0

    def bootstrap_admin(
        self, *, username: str, password: str, email: str, display_name: str | None = None, tenant_name: str = "Default"
    ) -> Actor:
        """Create the first tenant and its administrator (also platform administrator); only once."""
        username = username.strip().lower()
        check_identity_fields(username, email, display_name or username)
        check_password_rule(password)
        with self.db.session() as session:
            if repo.count_users(session) > 0:
                raise Conflict("The first administrator already exists; please sign in.")
            tenant = repo.create_tenant(session, name=tenant_name)
            user = repo.create_user(
                session,
                tenant_id=tenant.id,
                username=username,
                display_name=display_name or username,
                email=email,
                password_hash=hash_password(password, self.settings.bcrypt_rounds),
                role="admin",
                is_platform_admin=True,
            )
            actor = self._actor(session, user)
            record(session, actor, "workspace.bootstrap", "user", user.id)
        return actor

    def authenticate(self, username: str, password: str) -> Actor:
        """The same sentence, and the same time, for an unknown user, a wrong password and a deactivated user.

        The attempt is counted before the password is checked (see ``repo.count_attempt``), so parallel guesses
        get at most ``login_max_failures`` checks per window; the check runs outside any transaction."""
        username = username.strip().lower()
        settings, now = self.settings, utcnow()
        if not _USERNAME.match(username):  # no such user can exist, and the name may not fit the throttle's key
            verify_password(password, dummy_hash(settings.bcrypt_rounds))
            with self.db.session() as session:
                _failed(session, None, username)
            raise PermissionDenied(WRONG_CREDENTIALS)
        with self.db.session() as session:
            attempts, locked = repo.count_attempt(session, username, now=now, window_s=settings.login_lockout_s)
            found = repo.credentials_for(session, username)
        lockout = timedelta(seconds=settings.login_lockout_s)
        if (locked is not None and locked > now) or attempts > settings.login_max_failures:
            minutes = max(1, round(((locked or now + lockout) - now).total_seconds() / 60))
            raise PermissionDenied(f"Too many failed sign-in attempts; try again in {minutes} minute(s).")
        checked = verify_password(password, found[1] if found else dummy_hash(settings.bcrypt_rounds))
        with self.db.session() as session:
            if checked and found is not None and found[0].active:
                repo.clear_failures(session, username)
                user = repo.update_user(session, found[0].tenant_id, found[0].id, last_login_at=now)
                actor = self._actor(session, user)
                record(session, actor, "login")
                return actor
            if attempts >= settings.login_max_failures:
                repo.lock(session, username, until=now + lockout)
            repo.purge_throttle(session, now=now, window_s=settings.login_lockout_s)
            _failed(session, found[0].tenant_id if found else None, username)
        raise PermissionDenied(WRONG_CREDENTIALS)

    def actor_for(self, user_id: str) -> Actor:
        """Rebuild the actor for a remembered session or a job; refuses deactivated users."""
        with self.db.session() as session:
            return self._live_actor(session, user_id)

    def actor_for_remembered(self, username: str, issued_at: datetime) -> Actor:
        """The actor of a remembered sign-in (cookie) issued at ``issued_at`` (UTC), unless it was voided
        since by signing out or changing the password."""
        with self.db.session() as session:
            found = repo.credentials_for(session, username)
        if found is None:
            raise PermissionDenied("Your session has ended; please sign in again.")
        return self.actor_since(found[0].id, issued_at)

    def actor_since(self, user_id: str, issued_at: datetime) -> Actor:
        """The actor of a sign-in (cookie or API token) issued at ``issued_at`` (naive UTC), unless the user
        signed out everywhere, changed the password or was deactivated since."""
        with self.db.session() as session:  # one session: every API request passes here
            cutoff = repo.sessions_valid_after(session, user_id)
            if cutoff is not None and issued_at <= cutoff:
                raise PermissionDenied("Your session has ended; please sign in again.")
            return self._live_actor(session, user_id)

    def _live_actor(self, session: Session, user_id: str) -> Actor:
        try:
            user = repo.get_user(session, None, user_id)
        except NotFound:
            raise PermissionDenied("Your session has ended; please sign in again.") from None
        if not user.active:
            raise PermissionDenied("Your session has ended; please sign in again.")
        return self._actor(session, user)

    def sign_out(self, actor: Actor) -> None:
        """Void every remembered sign-in of the user (server side: a stolen cookie stops working too)."""
        with self.db.session() as session:
            repo.update_user(session, actor.tenant_id, actor.user_id, sessions_valid_after=utcnow())
            record(session, actor, "logout")

    def _actor(self, session: Session, user: User) -> Actor:
        tenant = repo.get_tenant(session, user.tenant_id)
        return Actor(
            user_id=user.id,
            username=user.username,
            display_name=user.display_name,
            tenant_id=user.tenant_id,
            tenant_name=tenant.name,
            role=user.role,
            permissions=permissions_of(session, user),
            is_platform_admin=user.is_platform_admin,
        )

    # --- self-service -------------------------------------------------------------------------
    def change_password(self, actor: Actor, old_password: str, new_password: str) -> None:
        check_password_rule(new_password)
        with self.db.session() as session:
            found = repo.credentials_for(session, actor.username)
            if found is None or not verify_password(old_password, found[1]):
                raise PermissionDenied("The current password is not correct.")
            new_hash = hash_password(new_password, self.settings.bcrypt_rounds)
            repo.update_user(
                session, actor.tenant_id, actor.user_id, password_hash=new_hash, sessions_valid_after=utcnow()
            )
            record(session, actor, "user.password_changed", "user", actor.user_id)

    def me(self, actor: Actor) -> User:
        """The actor's own user record (e-mail, last sign-in), which the ``Actor`` does not carry."""
        with self.db.session() as session:
            return repo.get_user(session, actor.tenant_id, actor.user_id)

    def reset_password_by_name(
        self, actor: Actor, username: str, new_password: str, old_password: str | None = None
    ) -> None:
        """The API's reset: one's own password with the old one, anyone else's as a user manager."""
        username = username.strip().lower()
        if old_password is not None:
            if username != actor.username:
                raise PermissionDenied("The old password only changes your own password.")
            self.change_password(actor, old_password, new_password)
            return
        user = next((u for u in self.list(actor) if u.username == username), None)
        if user is None:
            raise NotFound("That user does not exist.")
        self.reset_password(actor, user.id, new_password)

    # --- tenant administration ----------------------------------------------------------------
    def list(self, actor: Actor) -> list[User]:
        require(actor, "users:manage")
        with self.db.session() as session:
            return repo.list_users(session, actor.tenant_id)

    def get(self, actor: Actor, user_id: str) -> User:
        """One user of the actor's tenant (anyone may read their own record)."""
        if user_id != actor.user_id:
            require(actor, "users:manage")
        with self.db.session() as session:
            return repo.get_user(session, actor.tenant_id, user_id)

    def create(
        self,
        actor: Actor,
        *,
        username: str,
        password: str,
        email: str,
        role: str,
        display_name: str | None = None,
        tenant_id: str | None = None,
    ) -> User:
        """A user of the actor's tenant; of ``tenant_id`` only for a platform administrator (else NotFound,
        as for any other tenant's resource)."""
        require(actor, "users:manage")
        tenant_id = tenant_id or actor.tenant_id
        if tenant_id != actor.tenant_id and not actor.can(PLATFORM_PERMISSION):
            raise NotFound("That tenant does not exist.")
        username = username.strip().lower()
        check_identity_fields(username, email, display_name or username)
        check_password_rule(password)
        with self.db.session() as session:
            repo.get_tenant(session, tenant_id)
            check_grantable(session, actor, role, tenant_id)
            if repo.username_exists(session, username):
                raise Conflict(f"The username {username!r} is already taken; choose another.")
            user = repo.create_user(
                session,
                tenant_id=tenant_id,
                username=username,
                display_name=display_name or username,
                email=email,
                password_hash=hash_password(password, self.settings.bcrypt_rounds),
                role=role,
            )
            record(session, actor, "user.created", "user", user.id, username=username, role=role)
        return user

    def set_role(self, actor: Actor, user_id: str, role: str) -> User:
        require(actor, "users:manage")
        with self.db.session() as session:
            user = repo.get_user(session, actor.tenant_id, user_id)
            check_manageable(session, actor, user)
            check_grantable(session, actor, role)
            if user.role == "admin" and role != "admin":
                self._keep_one_admin(session, actor.tenant_id)
            user = repo.update_user(session, actor.tenant_id, user_id, role=role)
            record(session, actor, "user.role_changed", "user", user_id, role=role)
        return user

    def set_active(self, actor: Actor, user_id: str, active: bool) -> User:
        require(actor, "users:manage")
        if user_id == actor.user_id and not active:
            raise InvalidInput("You cannot deactivate yourself.")
        with self.db.session() as session:
            user = repo.get_user(session, actor.tenant_id, user_id)
            check_manageable(session, actor, user)
            if user.role == "admin" and user.active and not active:
                self._keep_one_admin(session, actor.tenant_id)
            user = repo.update_user(session, actor.tenant_id, user_id, active=active)
            record(session, actor, "user.activated" if active else "user.deactivated", "user", user_id)
        return user

    def reset_password(self, actor: Actor, user_id: str, new_password: str) -> None:
        require(actor, "users:manage")
        check_password_rule(new_password)
        with self.db.session() as session:
            user = repo.get_user(session, actor.tenant_id, user_id)
            check_manageable(session, actor, user, takeover=True)
            new_hash = hash_password(new_password, self.settings.bcrypt_rounds)
            repo.update_user(session, actor.tenant_id, user_id, password_hash=new_hash, sessions_valid_after=utcnow())
            repo.clear_failures(session, user.username)
            record(session, actor, "user.password_reset", "user", user_id)

    def roles(self, actor: Actor) -> builtins.list[Role]:  # builtins: ``list`` is a method here
        require(actor, "users:manage")
        with self.db.session() as session:
            custom = repo.custom_roles(session, actor.tenant_id)
        builtin = [Role(name, perms, True) for name, perms in BUILTIN_ROLES.items()]
        return builtin + [Role(name, perms, False) for name, perms in custom.items()]

    def create_role(self, actor: Actor, name: str, permissions: builtins.list[str]) -> Role:
        require(actor, "users:manage")
        name = name.strip().lower()
        if not _USERNAME.match(name) or name in BUILTIN_ROLES:
            raise InvalidInput(
                f"{name!r} cannot be a role name: use 3–64 lower-case letters and digits, not a built-in name."
            )
        with self.db.session() as session:
            perms = check_permission_names(permissions, repo.custom_permissions(session, actor.tenant_id))
            refusal = f"You cannot create a role that allows more than your own role ({actor.role})."
            check_within(actor, perms, refusal)
            if name in repo.custom_roles(session, actor.tenant_id):
                raise Conflict(f"A role named {name!r} already exists.")
            repo.create_role(session, tenant_id=actor.tenant_id, name=name, permissions=sorted(perms))
            record(session, actor, "role.created", "role", name, permissions=sorted(perms))
        return Role(name, perms, False)

    def permissions(self, actor: Actor) -> dict[str, str]:
        """Permission names a role may hold, with what they allow: the built-in ones, then the tenant's own."""
        require(actor, "users:manage")
        with self.db.session() as session:
            custom = repo.custom_permissions(session, actor.tenant_id)
        return {**PERMISSIONS, **{name: description or "(custom)" for name, description in custom.items()}}

    def create_permission(self, actor: Actor, name: str, description: str = "") -> str:
        """A custom permission name (``can_approve_models``) for roles to hold and other systems to check;
        the engine's own checks keep using the built-in names only."""
        require(actor, "users:manage")
        name = name.strip().lower()
        if not _PERMISSION.match(name) or name in LABELS:
            raise InvalidInput(
                f"{name!r} cannot be a permission name: use 3–64 lower-case letters, digits, '_', '.' or ':', "
                "not a built-in name.",
                [Problem("not a valid permission name", field="name", value=name)],
            )
        with self.db.session() as session:
            if name in repo.custom_permissions(session, actor.tenant_id):
                raise Conflict(f"A permission named {name!r} already exists.")
            repo.create_permission(session, tenant_id=actor.tenant_id, name=name, description=description.strip())
            record(session, actor, "permission.created", "permission", name)
        return name

    def delete_role(self, actor: Actor, name: str) -> None:
        require(actor, "users:manage")
        with self.db.session() as session:
            in_use = repo.count_users_with_role(session, actor.tenant_id, name)
            if in_use:
                raise Conflict(f"The role {name!r} is still assigned to {in_use} user(s).")
            repo.delete_role(session, actor.tenant_id, name)
            record(session, actor, "role.deleted", "role", name)

    @staticmethod
    def _keep_one_admin(session: Session, tenant_id: str) -> None:
        if repo.count_active_admins(session, tenant_id) <= 1:
            raise Conflict("A tenant must keep at least one active administrator.")


def _failed(session: Session, tenant_id: str | None, username: str) -> None:
    """Audit a failed sign-in: in the user's tenant, or (unknown names) in the platform security log.

    The name is whatever was typed; a NUL, which Postgres text cannot hold, is kept visible as U+FFFD so a
    hostile name is still logged (and the caller still gets the sign-in refusal, not a storage error)."""
    shown = username[:64].replace("\x00", "\ufffd")
    audit_repo.add_event(session, tenant_id=tenant_id, user_id=None, username=shown, action="login.failed")
