"""Tenants: created by a platform administrator, each with its own first admin."""

from __future__ import annotations

from core.entities import Actor, Tenant, User
from core.errors import Conflict, InvalidInput
from core.security.passwords import check_password_rule, hash_password
from core.security.permissions import PLATFORM_PERMISSION
from core.services.base import Service, record, require, unique_name
from core.services.users import check_identity_fields
from core.storage.repositories import identity as repo


class TenantService(Service):
    def list(self, actor: Actor) -> list[Tenant]:
        require(actor, PLATFORM_PERMISSION)
        with self.db.session() as session:
            return repo.list_tenants(session)

    def create(
        self, actor: Actor, *, name: str, admin_username: str, admin_password: str, admin_email: str
    ) -> tuple[Tenant, User]:
        """A new tenant is useless without someone to run it, so its admin is created with it."""
        require(actor, PLATFORM_PERMISSION)
        name = name.strip()
        if not 2 <= len(name) <= 100:
            raise InvalidInput("A tenant name needs 2 to 100 characters.")
        admin_username = admin_username.strip().lower()
        check_identity_fields(admin_username, admin_email, admin_username)
        check_password_rule(admin_password)
        with unique_name("tenant", name), self.db.session() as session:
            if repo.tenant_name_taken(session, name):
                raise Conflict(f"A tenant named {name!r} already exists.")
            if repo.username_exists(session, admin_username):
                raise Conflict(f"The username {admin_username!r} is already taken; choose another.")
            tenant = repo.create_tenant(session, name=name)
            admin = repo.create_user(
                session,
                tenant_id=tenant.id,
                username=admin_username,
                display_name=admin_username,
                email=admin_email,
                password_hash=hash_password(admin_password, self.settings.bcrypt_rounds),
                role="admin",
            )
            record(session, actor, "tenant.created", "tenant", tenant.id, name=name, admin=admin_username)
        return tenant, admin
