"""Deliverable 4: the health check is open, and says more only to administrators."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import API

HEALTH = f"{API}/utils/health-check/"


def test_without_a_token_only_the_status(client: TestClient) -> None:
    body = client.get(HEALTH).json()
    assert body == {"status": "ok", "details": None}
    assert client.get(HEALTH, headers={"Authorization": "Bearer forged"}).json()["details"] is None


def test_details_for_administrators_only(
    client: TestClient, admin_headers: dict[str, str], analyst_headers: dict[str, str]
) -> None:
    details = client.get(HEALTH, headers=admin_headers).json()["details"]
    assert details["database"]["ok"] and "versions" in details
    assert client.get(HEALTH, headers=analyst_headers).json()["details"] is None
