"""What the seed's training API needs of the engine: a model's domain and description, renaming a predictor,
column type overrides, and trainings listed with their state (a training still a job has no model yet). One
workspace per module, inline jobs, trainings of a second or so."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from core import Actor, Conflict, Dataset, Engine, InvalidInput, JobStatus, NotFound, PermissionDenied, TrainRequest
from core.storage.repositories import jobs as job_repo
from tests.conftest import ADMIN_PASSWORD, USER_PASSWORD
from tests.core.test_training_service import csv, model_id


def customers(rows: int = 80) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    spend = rng.normal(50, 15, rows).round(1)
    return pd.DataFrame(
        {
            "customer": [f"C{i:03d}" for i in range(rows)],
            "spend": spend,
            "region": rng.choice([10, 20, 30], rows),  # a code stored as an integer
            "note": rng.choice(["a", "b"], rows),
            "churn": np.where(spend + rng.normal(0, 5, rows) > 50, "yes", "no"),
        }
    )


def request(dataset_id: str, name: str = "churn", **changes: object) -> TrainRequest:
    base = TrainRequest(
        dataset_id=dataset_id,
        name=name,
        target="churn",
        id_column="customer",
        time_budget_s=1,
        explain=False,
        algorithm="linear",
    )
    return TrainRequest(**{**base.__dict__, **changes})  # type: ignore[arg-type]


def customers_workspace(home: Path) -> tuple[Engine, Actor, Dataset]:
    """An inline engine on ``home`` with an administrator, a viewer (vic), an analyst (ana) and the customers."""
    eng = Engine.open(home=home, runner="inline")
    admin = eng.users.bootstrap_admin(username="admin", password=ADMIN_PASSWORD, email="admin@example.com")
    for name, role in (("vic", "viewer"), ("ana", "analyst")):
        eng.users.create(admin, username=name, password=USER_PASSWORD, email=f"{name}@example.com", role=role)
    return eng, admin, eng.datasets.upload(admin, name="customers", filename="c.csv", data=csv(customers()))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimpleNamespace]:
    home = tmp_path_factory.mktemp("labels") / "workspace"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DATAML_HOME", str(home))
        eng, admin, data = customers_workspace(home)
        first = eng.training.submit(admin, request(data.id, domain=" Churn ", column_types=(("region", "category"),)))
        second = eng.training.submit(admin, request(data.id))  # no domain: the predictor's
        other = eng.training.submit(admin, request(data.id, name="spend", target="spend", problem_type="regression"))
        yield SimpleNamespace(
            engine=eng,
            admin=admin,
            viewer=eng.users.authenticate("vic", USER_PASSWORD),
            analyst=eng.users.authenticate("ana", USER_PASSWORD),
            data=data,
            jobs=(first, second, other),
            v1=eng.models.get(admin, model_id(first)),
            v2=eng.models.get(admin, model_id(second)),
            spend=eng.models.get(admin, model_id(other)),
        )
        eng.close()


def queued_training(world: SimpleNamespace, name: str, **changes: object) -> str:
    """A training as the queue holds it before a worker takes it (the inline runner never leaves one queued)."""
    params = request(world.data.id, name=name, **changes).to_params()
    with world.engine.workspace.db.session() as session:
        job = job_repo.create_job(
            session,
            tenant_id=world.admin.tenant_id,
            owner_id=world.admin.user_id,
            kind="train_tabular",
            title=f"Train {name}",
            params=params,
            datasets=[world.data.id],
        )
    return job.id


def test_the_domain_is_kept_inherited_by_new_versions_and_filterable(world) -> None:
    eng, admin = world.engine, world.admin
    assert (world.v1.domain, world.v2.domain, world.spend.domain) == ("Churn", "Churn", "")
    assert [m.label for m in eng.models.list(world.viewer, domain="CHURN ")] == ["churn v2", "churn v1"]
    assert eng.models.list(admin, domain="Fraud") == []
    assert eng.models.latest(world.viewer, "CHURN").id == world.v2.id
    with pytest.raises(NotFound):
        eng.models.latest(admin, "nothing")


def test_a_column_type_override_reaches_the_schema_and_is_checked(world) -> None:
    eng, admin, data = world.engine, world.admin, world.data
    assert world.v1.schema.feature("region").kind == "categorical"
    assert world.v2.schema.feature("region").kind == "numeric"  # trained afresh under the name: the dataset's type
    continued = eng.training.submit(admin, request(data.id, parent_model_id=world.v1.id))
    world.v3 = eng.models.get(admin, model_id(continued))
    assert world.v3.schema.feature("region").kind == "categorical"  # a continued version reads it as its parent
    refusals = {
        "not a feature": (("customer", "string"),),
        "one of integer": (("spend", "money"),),
        "not readable as integer": (("note", "integer"),),
        "named twice": (("spend", "float"), ("spend", "float")),
    }
    for problem, types in refusals.items():
        with pytest.raises(InvalidInput) as refused:
            eng.training.check(admin, request(data.id, name="x", column_types=types))
        assert any(p.problem.startswith(problem) for p in refused.value.problems), problem
    forecast = request(data.id, name="x", problem_type="forecast", column_types=(("spend", "float"),))
    with pytest.raises(InvalidInput, match="not valid"):
        eng.training.check(admin, forecast)


def test_update_renames_every_version_and_labels_one(world) -> None:
    eng, admin = world.engine, world.admin
    renamed = eng.models.update(admin, world.v1.id, name="Attrition", description="first try\nsmall data")
    assert (renamed.name, renamed.description, renamed.domain) == ("Attrition", "first try\nsmall data", "Churn")
    assert {m.label for m in eng.models.list(admin) if m.name == "Attrition"} == {f"Attrition v{n}" for n in (1, 2, 3)}
    assert eng.models.update(admin, world.v2.id, domain="Retention").domain == "Retention"
    assert eng.models.get(admin, world.v1.id).domain == "Churn"  # the domain is each version's own
    with pytest.raises(Conflict, match="Another predictor"):
        eng.models.update(admin, world.v1.id, name="SPEND")
    with pytest.raises(InvalidInput) as bad:
        eng.models.update(admin, world.v1.id, name="no/slash", domain="x" * 101, description="bell\a")
    assert [p.field for p in bad.value.problems] == ["name", "domain", "description"]
    with pytest.raises(PermissionDenied):
        eng.models.update(world.viewer, world.v1.id, domain="x")
    assert eng.models.update(admin, world.v1.id, name="churn").name == "churn"  # back, and a case change is fine
    assert eng.audit.list(admin)[0].action == "model.updated"


def test_a_rename_waits_for_an_unfinished_training_of_either_name(world) -> None:
    eng, admin = world.engine, world.admin
    job_id = queued_training(world, "Loyalty")
    with pytest.raises(Conflict, match="still queued"):
        eng.models.update(admin, world.spend.id, name="loyalty")
    eng.jobs.cancel(admin, job_id)
    assert eng.models.update(admin, world.spend.id, name="loyalty").name == "loyalty"
    eng.models.update(admin, world.spend.id, name="spend")


def test_trainings_list_models_and_jobs_without_one_in_every_state(world) -> None:
    eng, admin = world.engine, world.admin
    queued = queued_training(world, "later", domain="Churn")
    running = queued_training(world, "busy")
    with eng.workspace.db.session() as session:
        assert job_repo.claim_slot(session, running, max_running=100, tenant_share=100)
    failed = queued_training(world, "broken")
    with eng.workspace.db.session() as session:
        job_repo.finish(session, failed, JobStatus.INTERRUPTED, error="The worker stopped.")
    states = {t.name: t.status for t in eng.training.list(admin)}
    assert states == {"later": "queued", "busy": "training", "broken": "failed", "Loyalty": "canceled"} | {
        "churn": "ready",
        "spend": "ready",
    }
    eng.jobs.cancel(admin, queued)
    canceled = eng.training.get(admin, queued)
    assert (canceled.status, canceled.model_id, canceled.dataset_name, canceled.domain) == (
        "canceled",
        None,
        "customers",
        "Churn",
    )
    assert [t.name for t in eng.training.list(admin, status="canceled")] == ["later", "Loyalty"]
    churn = eng.training.list(world.viewer, domain="churn", problem_type="classification")
    assert {t.id for t in churn} == {world.jobs[0].id, world.v3.job_id}  # v2 is "Retention" now
    ready = eng.training.get(world.viewer, world.v2.id)  # by the model's id too
    assert (ready.id, ready.version, ready.metrics["recall"]) == (world.jobs[1].id, 2, world.v2.metrics["recall"])
    with pytest.raises(InvalidInput):
        eng.training.list(admin, status="done")
    with eng.workspace.db.session() as session:
        job_repo.finish(session, running, JobStatus.FAILED, error="stopped by the test")


def test_trainings_are_the_tenants_and_readers_only(world) -> None:
    eng, admin = world.engine, world.admin
    with pytest.raises(NotFound):
        eng.training.get(admin, eng.jobs.selftest(admin, steps=1).id)  # a job, but no training
    eng.tenants.create(
        admin, name="elsewhere", admin_username="eve", admin_password=USER_PASSWORD, admin_email="e@example.com"
    )
    eve = eng.users.authenticate("eve", USER_PASSWORD)
    assert eng.training.list(eve) == []
    with pytest.raises(NotFound):
        eng.training.get(eve, world.jobs[0].id)
    mine = queued_training(world, "mine")
    assert "mine" in {t.name for t in eng.training.list(world.viewer)}  # the viewer may read the tenant's jobs
    eng.users.create_role(admin, "reader", ["models:read"])
    eng.users.create(admin, username="rita", password=USER_PASSWORD, email="r@example.com", role="reader")
    rita = eng.users.authenticate("rita", USER_PASSWORD)
    assert {t.status for t in eng.training.list(rita)} == {"ready"}  # others' jobs are not hers to read
    with pytest.raises(PermissionDenied):
        eng.training.get(rita, mine)
    eng.jobs.cancel(admin, mine)
