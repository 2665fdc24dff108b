"""What a page render costs: the Models page of a trained model (summary, importance, continue, files tabs)
opens at most 5 database sessions (issue 12), counted from SQLAlchemy's own events."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from streamlit.testing.v1 import AppTest

from core import Actor, Engine, TrainRequest
from tests.counting import counting


def test_models_page_render_opens_few_sessions(
    app: Callable[..., AppTest], engine: Engine, admin: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    [iris] = [d for d in engine.datasets.load_samples(admin) if d.name == "iris"]
    job = engine.training.submit(
        admin, TrainRequest(dataset_id=iris.id, name="flowers", target="species", time_budget_s=2)
    )
    assert job.result, job.error
    at = app(actor=admin, page="models.py")
    with counting(monkeypatch) as counts:
        at.run()
    assert not at.exception and len(at.metric) == 7 and len(at.get("plotly_chart")) == 3  # the summary tab only
    print(f"Models page render: {counts.sessions} sessions, Parquet reads {dict(counts.parquet)}")
    assert counts.sessions <= 3  # 2 measured: the tenant's models, then the summary
