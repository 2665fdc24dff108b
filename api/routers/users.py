"""Seed 004 §2 and §3: users, roles and permissions of the caller's tenant."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field

from api.deps import ActorDep, EngineDep
from api.schemas import UserOut
from core import Actor, NotFound, Role

users = APIRouter(prefix="/users", tags=["users"])
rbac = APIRouter(prefix="/rbac", tags=["rbac"])


class UserCreate(BaseModel):
    tenant_id: str | None = Field(default=None, description="Yours unless you are a platform administrator.")
    first_name: str = ""
    last_name: str = ""
    email: str
    username: str
    password: str
    role: str = Field(default="viewer", description="A built-in or custom role; not beyond your own.")


class UserList(BaseModel):
    data: list[UserOut]
    count: int = Field(description="All users of the tenant, whatever skip and limit.")


class RoleAssign(BaseModel):
    role: str


class RoleCreate(BaseModel):
    name: str
    permissions: list[str] = Field(description="Built-in or custom permission names (the seed has none here).")
    tenant_id: str | None = Field(default=None, description="Must be yours if given.")


class RoleOut(BaseModel):
    name: str
    permissions: list[str]
    builtin: bool

    @classmethod
    def of(cls, role: Role) -> RoleOut:
        return cls(name=role.name, permissions=sorted(role.permissions), builtin=role.builtin)


class PermissionCreate(BaseModel):
    name: str = Field(description="For example can_approve_models; the built-in names cannot be redefined.")
    description: str = ""
    tenant_id: str | None = Field(default=None, description="Must be yours if given.")


class PermissionOut(BaseModel):
    name: str
    description: str


def _own_tenant(actor: Actor, tenant_id: str | None) -> None:
    """Roles and permissions belong to the caller's tenant; naming another one is like naming nothing."""
    if tenant_id not in (None, actor.tenant_id):
        raise NotFound("That tenant does not exist.")


@users.post("/create-user", response_model=UserOut, status_code=status.HTTP_201_CREATED)
def create_user(eng: EngineDep, actor: ActorDep, body: UserCreate) -> UserOut:
    name = f"{body.first_name.strip()} {body.last_name.strip()}".strip() or None
    user = eng.users.create(
        actor,
        username=body.username,
        password=body.password,
        email=body.email,
        role=body.role,
        display_name=name,
        tenant_id=body.tenant_id,
    )
    return UserOut.of(user)


@users.get("/read-users/", response_model=UserList)
@users.get("/read-users", response_model=UserList, include_in_schema=False)
def read_users(
    eng: EngineDep,
    actor: ActorDep,
    skip: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> UserList:
    found = eng.users.list(actor)
    return UserList(data=[UserOut.of(u) for u in found[skip : skip + limit]], count=len(found))


@users.get("/{user_id}", response_model=UserOut)
def read_user(eng: EngineDep, actor: ActorDep, user_id: str) -> UserOut:
    return UserOut.of(eng.users.get(actor, user_id))


@users.put("/{user_id}/role", response_model=UserOut)
def assign_role(eng: EngineDep, actor: ActorDep, user_id: str, body: RoleAssign) -> UserOut:
    """Not in the seed: give a user a role (not beyond your own; a tenant keeps one active administrator)."""
    return UserOut.of(eng.users.set_role(actor, user_id, body.role))


@rbac.get("/roles/", response_model=list[RoleOut])
def list_roles(eng: EngineDep, actor: ActorDep) -> list[RoleOut]:
    return [RoleOut.of(r) for r in eng.users.roles(actor)]


@rbac.post("/roles/", response_model=RoleOut, status_code=status.HTTP_201_CREATED)
def create_role(eng: EngineDep, actor: ActorDep, body: RoleCreate) -> RoleOut:
    _own_tenant(actor, body.tenant_id)
    return RoleOut.of(eng.users.create_role(actor, body.name, body.permissions))


@rbac.get("/permissions/", response_model=list[PermissionOut])
def list_permissions(eng: EngineDep, actor: ActorDep) -> list[PermissionOut]:
    return [PermissionOut(name=n, description=d) for n, d in eng.users.permissions(actor).items()]


@rbac.post("/permissions/", response_model=PermissionOut, status_code=status.HTTP_201_CREATED)
def create_permission(eng: EngineDep, actor: ActorDep, body: PermissionCreate) -> PermissionOut:
    """A custom permission name roles can hold (the Users & roles page offers it too); the engine's own checks
    use only the built-in names, so a custom one matters to systems that read a user's role."""
    _own_tenant(actor, body.tenant_id)
    return PermissionOut(
        name=eng.users.create_permission(actor, body.name, body.description), description=body.description
    )
