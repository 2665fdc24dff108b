"""The Jobs page names the Ray task of a job the Ray runner ran, with a link to the cluster's dashboard."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from streamlit.testing.v1 import AppTest

from core import Actor, Engine, JobStatus
from core.progress import CANCELLED
from core.storage.repositories import jobs as job_repo


def test_a_ray_job_shows_its_task_and_the_dashboard_link(
    app: Callable[..., AppTest], engine: Engine, admin: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATAML_RAY_DASHBOARD_URL", "http://head.example:8265/")
    task = "cd" * 20 + "0a000000"
    with engine.db.session() as session:
        job = job_repo.create_job(
            session, tenant_id=admin.tenant_id, owner_id=admin.user_id, kind="selftest", title="on ray", params={}
        )
        job_repo.set_ray_task(session, job.id, task)
    captions = [c.value for c in app(actor=admin, page="jobs.py").caption]
    assert any(
        f"Ray task `{task}` of Ray job `0a000000`" in c and "(http://head.example:8265/#/jobs/0a000000)" in c
        for c in captions
    ), captions


def test_a_cancelled_job_says_so_not_its_last_step(app: Callable[..., AppTest], engine: Engine, admin: Actor) -> None:
    with engine.db.session() as session:
        job = job_repo.create_job(
            session, tenant_id=admin.tenant_id, owner_id=admin.user_id, kind="selftest", title="search", params={}
        )
        job_repo.set_progress(session, job.id, 0.06, "candidate 11: LightGBM")
        job_repo.finish(session, job.id, JobStatus.CANCELED, error=CANCELLED)
    shown = [m.value for m in app(actor=admin, page="jobs.py").markdown]
    assert any("status **canceled** · The job was cancelled." in m for m in shown), shown
    assert not any("candidate 11" in m for m in shown)
