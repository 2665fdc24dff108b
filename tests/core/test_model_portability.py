"""A downloaded model works without this product: loaded in a fresh virtual environment holding only the pinned
scikit-learn, skops, pandas and numpy (this repository not on the path), it predicts what the engine predicts."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core import Engine
from core.entities import TrainRequest
from core.ml import infer_schema, model_to_bytes
from core.ml.candidates import Candidate, build_pipeline
from tests.conftest import ADMIN_PASSWORD
from tests.core.test_inference_service import MIXED_TEMPLATE, csv, mixed_frame

pytestmark = pytest.mark.venv
ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("scikit-learn", "skops", "pandas", "numpy")
UNREACHABLE = re.compile(r"No matching distribution|Could not find a version|NewConnectionError|Network is unreachable")

# What an analyst would write after reading the download's help: dates as calendar parts, booleans as 0 / 1.
LOAD_AND_PREDICT = textwrap.dedent(
    """
    import importlib.util, json, sys
    import pandas as pd
    import skops.io as sio

    assert importlib.util.find_spec("core") is None, "this repository must not be importable here"
    model_path, rows_path, out_path = sys.argv[1:]
    untrusted = sio.get_untrusted_types(file=model_path)
    model = sio.load(model_path, trusted=untrusted)
    rows = pd.read_csv(rows_path)
    stamps = pd.to_datetime(rows.pop("joined"))
    for part in ("year", "month", "day", "dayofweek", "hour"):
        rows[f"joined__{part}"] = getattr(stamps.dt, part).astype("float64")
    rows["member"] = rows["member"].astype("float64")
    result = {
        "untrusted": untrusted,
        "prediction": model.predict(rows).tolist(),
        "probabilities": model.predict_proba(rows).tolist(),
    }
    with open(out_path, "w") as handle:
        json.dump(result, handle)
    """
)


def _pins() -> list[str]:
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    pins = [line.split("#")[0].strip() for line in lines if line.split("==")[0].strip() in PACKAGES]
    assert len(pins) == len(PACKAGES), pins
    return pins


@pytest.fixture(scope="module")
def clean_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtual environment without system site packages, with only the four pinned libraries installed."""
    venv = tmp_path_factory.mktemp("clean-venv") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    installed = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", *_pins()], capture_output=True, text=True, timeout=900
    )
    if installed.returncode != 0:
        if UNREACHABLE.search(installed.stderr + installed.stdout):
            pytest.skip(f"pip cannot reach a package registry: {installed.stderr.strip()[-300:]}")
        pytest.fail(f"pip install failed: {installed.stderr[-2000:]}")
    return python


def _predict_elsewhere(python: Path, model: bytes, rows: pd.DataFrame, folder: Path) -> dict:
    """Run ``LOAD_AND_PREDICT`` in the clean environment, isolated (``-I``) and outside this repository."""
    (folder / "model.skops").write_bytes(model)
    rows.to_csv(folder / "rows.csv", index=False)
    (folder / "predict.py").write_text(LOAD_AND_PREDICT)
    subprocess.run(
        [str(python), "-I", "predict.py", "model.skops", "rows.csv", "out.json"],
        cwd=folder,
        check=True,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
        timeout=300,
    )
    return json.loads((folder / "out.json").read_text())


def test_downloaded_model_predicts_the_same_in_a_clean_environment(clean_python: Path, tmp_path: Path) -> None:
    eng = Engine.open(home=tmp_path / "workspace", runner="inline")
    try:
        admin = eng.users.bootstrap_admin(username="admin", password=ADMIN_PASSWORD, email="admin@example.com")
        template = eng.templates.create(admin, "customers", MIXED_TEMPLATE)
        frame = mixed_frame()
        dataset = eng.datasets.upload(
            admin, name="customers", filename="customers.csv", data=csv(frame), template_id=template.id
        )
        job = eng.training.submit(
            admin,
            TrainRequest(
                dataset_id=dataset.id,
                name="label",
                target="label",
                time_budget_s=1,
                explain=False,
                algorithm="gradient_boosting",  # scikit-learn only: LightGBM / XGBoost members need their libraries
            ),
        )
        assert job.status == "succeeded", job.error
        assert job.result is not None
        model_id = str(job.result["model_id"])
        rows = frame.drop(columns="label").head(40)
        elsewhere = _predict_elsewhere(clean_python, eng.models.download(admin, model_id), rows, tmp_path)
        pipeline = eng.models.pipeline(admin, model_id)
        assert elsewhere["prediction"] == pipeline.predict(rows).tolist()
        np.testing.assert_allclose(elsewhere["probabilities"], pipeline.predict_proba(rows), atol=1e-9)
        assert set(elsewhere["untrusted"]) <= {
            "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
            "sklearn.tree._tree.Tree",
            "sklearn.utils._bunch.Bunch",
            "numpy.dtype",
        }
    finally:
        eng.close()


def test_a_linear_model_file_with_one_hot_and_scaled_dates_loads_in_a_clean_environment(
    clean_python: Path, tmp_path: Path
) -> None:
    frame = mixed_frame()
    schema = infer_schema(frame, "label", column_types={"member": "boolean", "joined": "date"})
    pipeline = build_pipeline(schema, Candidate("LogisticRegression", {"max_iter": 2000}))
    pipeline.fit(frame[schema.feature_names], frame["label"])
    rows = frame.drop(columns="label").head(40)
    elsewhere = _predict_elsewhere(clean_python, model_to_bytes(pipeline), rows, tmp_path)
    assert elsewhere["prediction"] == pipeline.predict(rows).tolist()
    np.testing.assert_allclose(elsewhere["probabilities"], pipeline.predict_proba(rows), atol=1e-9)
