"""Job task of a learning task (``problem_learn``): claim it, train on its mini-batches from its start, score on
every test dataset and each training mini-batch, store the model (a version of the problem's predictor) and the
test predictions, then finish it (the next rank starts, the champion moves).

Test rows are read here, by the engine, whoever owns the task: they only ever leave as scores."""

from __future__ import annotations

import os
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from threadpoolctl import threadpool_limits

from core.entities import Actor, Dataset, ModelDetails
from core.entities.problems import Algorithm, LearningProblem, Learnuplet, MiniBatch
from core.services.base import require
from core.services.datasets import read_columns
from core.services.result_files import PendingFiles
from core.storage.repositories import catalog as catalog_repo
from core.storage.repositories import models as model_repo
from core.storage.repositories import problems as repo

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

    from core.ml import ModelSchema
    from core.services.tasking import TaskContext


@dataclass
class _Inputs:
    """What one task reads, in one session: its problem, algorithm, columns and the files of its data."""

    task: Learnuplet
    problem: LearningProblem
    algo: Algorithm
    columns: list[str]
    types: dict[str, str]
    located: dict[str, tuple[Dataset, Path]]
    template: Any = None  # the trained model whose setup a ``model`` algorithm refits

    def rows(self, batch: MiniBatch, cache: dict[str, pd.DataFrame]) -> pd.DataFrame:
        if batch.dataset_id not in cache:
            dataset, path = self.located[batch.dataset_id]
            cache[batch.dataset_id] = read_columns(dataset, path, self.columns).to_pandas()
        return cache[batch.dataset_id].iloc[batch.start : batch.stop]


def _inputs(ctx: TaskContext, task_id: str) -> _Inputs:
    actor, services = ctx.actor, ctx.services
    with ctx.workspace.db.session() as session:
        task = repo.to_learnuplet(repo.learnuplet_row(session, actor.tenant_id, task_id))
        problem = repo.get_problem(session, actor.tenant_id, task.problem_id)
        algo = repo.get_algo(session, actor.tenant_id, task.algo_id)
        template = catalog_repo.get_template(session, actor.tenant_id, problem.template_id)
        ids = [*problem.test_dataset, *(b.dataset_id for b in task.train_data)]
        located = {d: services.datasets._located(session, actor, d, hidden_ok=True) for d in dict.fromkeys(ids)}
        first = located[task.batch.dataset_id][0]
        columns = [c.name for c in template.columns if c.name in first.column_types]
        model = None
        if algo.kind == "model" and algo.model_id:
            source = services.models._get(session, actor, algo.model_id)
            model = services.models._pipeline(session, actor, source)
    types = {c: first.column_types[c] for c in columns}
    return _Inputs(task, problem, algo, columns, types, located, model)


def _fit(ctx: TaskContext, inputs: _Inputs, frame: pd.DataFrame, schema: ModelSchema) -> tuple[Pipeline, str]:
    """The algorithm's pipeline on the task's rows and the family it trained."""
    from core.ml import train_tabular
    from core.ml.learning import candidate, fit, refit

    algo = inputs.algo
    if algo.kind == "family" and algo.family:
        chosen = candidate(algo.family, schema.problem_type, algo.settings)
        return fit(frame, schema, chosen), chosen.family
    if algo.kind == "model":
        return refit(inputs.template, frame, schema), "refit"
    budget = float(algo.settings.get("time_budget_s", 10))
    families = [algo.family] if algo.family else None
    outcome = train_tabular(frame, schema, budget, ctx, n_jobs=1, algorithms=families)
    return outcome.pipeline, outcome.chosen_family


def _score(
    inputs: _Inputs, pipeline: Pipeline, schema: ModelSchema, frame: pd.DataFrame, cache: dict[str, pd.DataFrame]
) -> dict[str, Any]:
    """perf on all test data, test_perf per test dataset, train_perf per training mini-batch, the full metrics
    on all test data and the test predictions (``test`` position, ``row`` 1-based)."""
    from core.ml import holdout_metrics
    from core.ml.learning import predict, score
    from core.ml.problem import prepare_target

    problem = inputs.problem
    tests = [inputs.rows(MiniBatch(d, 0, inputs.located[d][0].rows), cache) for d in problem.test_dataset]
    classes: list[Any] = list(schema.classes)
    if problem.problem_type == "classification":
        seen = pd.concat([prepare_target(t[problem.target], "classification") for t in tests] or [pd.Series([])])
        classes += sorted((c for c in seen.unique() if c not in classes), key=str)
    predicted = [predict(pipeline, schema, t, classes) for t in tests]
    test_perf = [
        score(t[problem.target], p, problem.problem_type, problem.metric, classes)
        for t, p in zip(tests, predicted, strict=True)
    ]
    every, stacked = pd.concat(tests, ignore_index=True), pd.concat(predicted, ignore_index=True)
    y = prepare_target(every[problem.target], problem.problem_type)
    holdout = stacked.loc[y.index].assign(y_true=y.to_numpy())
    metrics = holdout_metrics(holdout, problem.problem_type, classes)
    fitted = predict(pipeline, schema, frame, classes)  # once for every training row, then per mini-batch
    train_perf, offset = [], 0
    for batch in inputs.task.train_data:
        rows = slice(offset, offset + batch.stop - batch.start)
        offset = rows.stop
        part = frame.iloc[rows]
        train_perf.append(score(part[problem.target], fitted.iloc[rows], problem.problem_type, problem.metric, classes))
    stored = pd.concat(
        [p.reset_index(drop=True).assign(test=n, row=range(1, len(p) + 1)) for n, p in enumerate(predicted)],
        ignore_index=True,
    )
    stored.columns = [str(c) for c in stored.columns]
    return {
        "perf": metrics.get(problem.metric),
        "test_perf": test_perf,
        "train_perf": train_perf,
        "metrics": metrics,
        "predictions": stored,
        "rows": len(every),
    }


_chain = threading.local()  # the successor jobs the outermost running task starts, one after another


def learn(ctx: TaskContext, params: dict[str, Any]) -> dict[str, Any]:
    """Run one learning task; a failure (or cancel) finishes it ``failed`` so its algorithm's next rank starts.

    The next rank's job is started once this task is finished. Where jobs run inline (tests, and inside a worker
    process, whose engine runs the jobs it starts itself) a chain of ranks would nest one job in another; the
    outermost task starts them in a loop instead, so a problem with thousands of mini-batches never deepens the
    stack."""
    actor, task_id, service = ctx.actor, str(params["learnuplet_id"]), ctx.services.problems
    require(actor, "models:train")
    with ctx.workspace.db.session() as session:
        row = repo.learnuplet_row(session, actor.tenant_id, task_id)
        if not repo.claim_learnuplet(session, task_id, f"{socket.gethostname()}:{os.getpid()}", ctx.job.id):
            return {"learnuplet_id": task_id, "skipped": row.status}
    outermost = not getattr(_chain, "queue", None)
    queue: list[tuple[Actor, list[str]]] = _chain.queue if not outermost else []
    _chain.queue = queue
    try:
        try:
            finished, owner, jobs = _learn(ctx, task_id)
        except BaseException as exc:
            with ctx.workspace.db.session() as session:
                row = repo.learnuplet_row(session, actor.tenant_id, task_id)
                owner, jobs = service._finish(
                    session, actor, row, status="failed", error=str(exc) or type(exc).__name__
                )
            if owner is not None:
                queue.append((owner, jobs))
            raise
        if owner is not None:
            queue.append((owner, jobs))
        return finished
    finally:
        while outermost and queue:  # a failed task's successor starts too
            service._launch(*queue.pop(0))
        if outermost:
            _chain.queue = None


def _learn(ctx: TaskContext, task_id: str) -> tuple[dict[str, Any], Actor | None, list[str]]:
    from core.ml import background_sample, infer_schema, model_to_bytes

    actor, service = ctx.actor, ctx.services.problems
    started = time.perf_counter()
    ctx.progress(0.05, "reading the data")
    inputs = _inputs(ctx, task_id)
    task, problem = inputs.task, inputs.problem
    cache: dict[str, pd.DataFrame] = {}
    frame = pd.concat([inputs.rows(b, cache) for b in task.train_data], ignore_index=True)
    features = [c for c in inputs.columns if c != problem.target]
    schema = infer_schema(frame, problem.target, features, None, inputs.types, problem.problem_type)
    ctx.check()
    ctx.progress(0.15, "training")
    with threadpool_limits(limits=1):  # one core per job, as every training job
        pipeline, family = _fit(ctx, inputs, frame, schema)
        ctx.check()
        ctx.progress(0.8, "scoring on the test data")
        scores = _score(inputs, pipeline, schema, frame, cache)
    ctx.progress(0.9, "saving")
    details = ModelDetails(
        chosen_family=family,
        train_rows=len(frame),
        duration_s=round(time.perf_counter() - started, 2),
        holdout_rows=scores["rows"],
        algorithm=inputs.algo.family,
        warnings=(f"Learning task rank {task.rank} of {inputs.algo.name}; scored on the problem's test data.",),
    )
    with PendingFiles(ctx.workspace.store, actor) as files:
        files.add_bytes(model_to_bytes(pipeline), kind="model", name=f"{problem.name}-{task.rank}.skops")
        files.add_parquet(background_sample(frame, schema), name=f"{problem.name}-{task.rank}-background.parquet")
        files.add_parquet(scores["predictions"], name=f"{problem.name}-{task.rank}-test-predictions.parquet")
        with ctx.workspace.db.session() as session:
            model_file, background, predictions = files.register(session)
            model = model_repo.add_model_version(
                session,
                tenant_id=actor.tenant_id,
                owner_id=actor.user_id,
                name=problem.model_name,
                problem_type=problem.problem_type,
                dataset_id=task.batch.dataset_id,
                parent_id=task.model_start,
                job_id=ctx.job.id,
                target=problem.target,
                schema=schema,
                metrics=scores["metrics"],
                details=details,
                datasets=[b.dataset_id for b in task.train_data],
                files={"model": model_file.id, "background": background.id},
            )
            row = repo.learnuplet_row(session, actor.tenant_id, task_id)
            owner, jobs = service._finish(
                session,
                actor,
                row,
                status="done",
                perf=scores["perf"],
                test_perf=scores["test_perf"],
                train_perf=scores["train_perf"],
                model_end=model.id,
                predictions_file_id=predictions.id,
            )
    return {"learnuplet_id": task_id, "model_id": model.id, "perf": scores["perf"]}, owner, jobs
