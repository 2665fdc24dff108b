"""A Ray task's arguments never hold the database password (Ray's dashboard and state API show them); a node
puts its own back when its DATAML_DATABASE_URL names the same server, database and user."""

from __future__ import annotations

import pytest

from core.jobs.ray_runner import with_node_password, without_password

pytestmark = pytest.mark.database_free

URL = "postgresql+psycopg://dml:s3cr%40t@db.example:5432/dataml"


def test_the_password_stays_home() -> None:
    sent = without_password(URL)
    assert "s3cr" not in sent and sent == "postgresql+psycopg://dml@db.example:5432/dataml"
    assert without_password("sqlite:////srv/dataml/app.db") == "sqlite:////srv/dataml/app.db"


def test_a_node_supplies_its_own_password_only_for_the_same_database() -> None:
    sent = without_password(URL)
    assert with_node_password(sent, URL) == URL
    assert with_node_password(sent, None) == sent  # PGPASSWORD or ~/.pgpass then
    assert with_node_password(sent, URL.replace("/dataml", "/other")) == sent
    assert with_node_password(sent, URL.replace("dml:", "admin:")) == sent
