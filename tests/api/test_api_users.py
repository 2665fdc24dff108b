"""Deliverable 3: users, roles and custom permissions; tenancy, escalation and viewer refusals."""

from __future__ import annotations

from fastapi.testclient import TestClient

from core import Actor, Engine
from tests.api.conftest import API, bearer, sign_in

JANE = {  # seed 004 §2.1, without its tenant id
    "first_name": "jane",
    "last_name": "doe",
    "email": "jane.doe@example.com",
    "username": "janedoe",
    "password": "Password123!",
}


def test_create_read_and_page_users(client: TestClient, admin_headers: dict[str, str], admin: Actor) -> None:
    response = client.post(f"{API}/users/create-user", json=JANE, headers=admin_headers)
    assert response.status_code == 201, response.text
    jane = response.json()
    assert (jane["first_name"], jane["last_name"], jane["role"]) == ("jane", "doe", "viewer")
    assert jane["tenant_id"] == admin.tenant_id
    assert sign_in(client, "janedoe", "Password123!")["access_token"]
    listed = client.get(f"{API}/users/read-users/", headers=admin_headers).json()
    assert listed["count"] == 2 and {u["username"] for u in listed["data"]} == {"admin", "janedoe"}
    page = client.get(f"{API}/users/read-users", params={"skip": 1, "limit": 1}, headers=admin_headers).json()
    assert page["count"] == 2 and len(page["data"]) == 1
    assert client.get(f"{API}/users/{jane['id']}", headers=admin_headers).json()["email"] == JANE["email"]
    assert client.post(f"{API}/users/create-user", json=JANE, headers=admin_headers).status_code == 409
    bad = JANE | {"username": "x", "email": "nope"}
    assert client.post(f"{API}/users/create-user", json=bad, headers=admin_headers).status_code == 422


def test_a_platform_administrator_may_name_another_tenant(
    client: TestClient, admin_headers: dict[str, str], outsider: Actor, outsider_headers: dict[str, str], admin: Actor
) -> None:
    body = JANE | {"tenant_id": outsider.tenant_id}
    created = client.post(f"{API}/users/create-user", json=body, headers=admin_headers)
    assert created.status_code == 201 and created.json()["tenant_id"] == outsider.tenant_id
    # the other tenant's administrator is no platform administrator: naming our tenant is naming nothing
    other = JANE | {"username": "intruder", "tenant_id": admin.tenant_id}
    assert client.post(f"{API}/users/create-user", json=other, headers=outsider_headers).status_code == 404
    assert client.get(f"{API}/users/{admin.user_id}", headers=outsider_headers).status_code == 404


def test_viewers_read_only_themselves_and_write_nothing(
    client: TestClient, viewer_headers: dict[str, str], viewer: Actor, admin: Actor
) -> None:
    assert client.get(f"{API}/users/{viewer.user_id}", headers=viewer_headers).status_code == 200
    assert client.get(f"{API}/users/{admin.user_id}", headers=viewer_headers).status_code == 403
    assert client.get(f"{API}/users/read-users/", headers=viewer_headers).status_code == 403
    assert client.post(f"{API}/users/create-user", json=JANE, headers=viewer_headers).status_code == 403
    role = {"name": "scorer", "permissions": ["models:read"]}
    assert client.post(f"{API}/rbac/roles/", json=role, headers=viewer_headers).status_code == 403
    assert client.post(f"{API}/rbac/permissions/", json={"name": "can_x"}, headers=viewer_headers).status_code == 403
    assert (
        client.put(f"{API}/users/{viewer.user_id}/role", json={"role": "admin"}, headers=viewer_headers).status_code
        == 403
    )


def test_custom_permissions_roles_and_assignment(
    client: TestClient, engine: Engine, admin_headers: dict[str, str], analyst: Actor
) -> None:
    created = client.post(
        f"{API}/rbac/permissions/",
        json={"name": "can_train_models", "description": "Seed example"},
        headers=admin_headers,
    )
    assert created.status_code == 201
    names = {p["name"] for p in client.get(f"{API}/rbac/permissions/", headers=admin_headers).json()}
    assert {"can_train_models", "models:read"} <= names
    assert (
        client.post(f"{API}/rbac/permissions/", json={"name": "can_train_models"}, headers=admin_headers).status_code
        == 409
    )
    assert (
        client.post(f"{API}/rbac/permissions/", json={"name": "models:read"}, headers=admin_headers).status_code == 422
    )
    role = {"name": "data_scientist", "permissions": ["models:read", "can_train_models"]}
    response = client.post(f"{API}/rbac/roles/", json=role, headers=admin_headers)
    assert response.status_code == 201 and response.json()["permissions"] == ["can_train_models", "models:read"]
    unknown = {"name": "other_role", "permissions": ["can_fly"]}
    assert client.post(f"{API}/rbac/roles/", json=unknown, headers=admin_headers).status_code == 422
    roles = {r["name"]: r for r in client.get(f"{API}/rbac/roles/", headers=admin_headers).json()}
    assert roles["admin"]["builtin"] and not roles["data_scientist"]["builtin"]
    assigned = client.put(f"{API}/users/{analyst.user_id}/role", json={"role": "data_scientist"}, headers=admin_headers)
    assert assigned.status_code == 200 and assigned.json()["role"] == "data_scientist"
    assert engine.users.actor_for(analyst.user_id).can("can_train_models")


def test_roles_and_permissions_stay_in_the_callers_tenant(
    client: TestClient, admin_headers: dict[str, str], outsider: Actor, analyst: Actor, outsider_headers: dict[str, str]
) -> None:
    role = {"name": "scorer", "permissions": ["models:read"], "tenant_id": outsider.tenant_id}
    assert client.post(f"{API}/rbac/roles/", json=role, headers=admin_headers).status_code == 404
    permission = {"name": "can_x", "tenant_id": outsider.tenant_id}
    assert client.post(f"{API}/rbac/permissions/", json=permission, headers=admin_headers).status_code == 404
    assign = client.put(f"{API}/users/{analyst.user_id}/role", json={"role": "viewer"}, headers=outsider_headers)
    assert assign.status_code == 404


def test_a_user_manager_cannot_escalate(client: TestClient, engine: Engine, admin: Actor) -> None:
    engine.users.create_role(admin, "helpdesk", ["users:manage"])
    engine.users.create(admin, username="helpdesk1", password="Password123!", email="hd@example.com", role="helpdesk")
    headers = bearer(sign_in(client, "helpdesk1", "Password123!"))
    response = client.put(f"{API}/users/{admin.user_id}/role", json={"role": "viewer"}, headers=headers)
    assert response.status_code == 403
    assert client.post(f"{API}/users/create-user", json=JANE | {"role": "admin"}, headers=headers).status_code == 403
