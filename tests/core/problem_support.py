"""A small problem world for the problems tests (engine, API, pages): iris, shuffled, as a template, a hidden test
set of 30 rows and training data of 120 rows (three mini-batches of 40)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sklearn.datasets import load_iris

from core import Actor, ColumnSpec, Engine
from core.entities.problems import LearningProblem

FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
BATCH = 40


def iris(seed: int = 0) -> pd.DataFrame:
    data = load_iris(as_frame=True)
    frame = data.frame.set_axis([*FEATURES, "species"], axis=1)
    frame["species"] = data.target_names[frame["species"]]
    return frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)


def csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


@dataclass(frozen=True)
class World:
    template: str
    test: str
    train: str
    extra: str  # 40 more training rows, not attached


def build(engine: Engine, manager: Actor, submitter: Actor) -> World:
    """The template and test data by the manager, training data (120 rows + 40 spare) by the submitter."""
    frame = iris()
    columns = [*(ColumnSpec(c, "float") for c in FEATURES), ColumnSpec("species", "string")]
    template = engine.templates.create(manager, "iris", columns)
    test = engine.datasets.upload(
        manager, name="iris-test", filename="test.csv", data=csv(frame[:30]), template_id=template.id
    )
    train = engine.datasets.upload(
        submitter, name="iris-train", filename="train.csv", data=csv(frame[30:150]), template_id=template.id
    )
    extra = engine.datasets.upload(
        submitter,
        name="iris-more",
        filename="more.csv",
        data=csv(frame[30:70].sample(frac=1.0, random_state=1)),
        template_id=template.id,
    )
    return World(template.id, test.id, train.id, extra.id)


def iris_problem(
    engine: Engine,
    manager: Actor,
    world: World,
    name: str,
    *,
    metric: str = "accuracy",
    tested: bool = True,
    compute: str = "internal",
) -> LearningProblem:
    """A classification problem of species in mini-batches of ``BATCH``, scored on the world's test data (none
    when not ``tested``)."""
    return engine.problems.create(
        manager,
        name=name,
        template_id=world.template,
        target="species",
        problem_type="classification",
        metric=metric,
        size_train_dataset=BATCH,
        test_dataset=[world.test] if tested else [],
        compute=compute,
    )
