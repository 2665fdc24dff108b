"""The ASGI application ``api.main:app`` (``python -m api`` serves it with uvicorn on port 8000)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi_offline import FastAPIOffline

from api import errors
from api.routers import (
    attribution,
    datalake,
    datasets,
    deployments,
    files,
    inference,
    jobs,
    login,
    problems,
    recipes,
    registry,
    templates,
    train,
    users,
    utils,
)
from core import APP_VERSION, Engine

PREFIX = "/api/v1"
DESCRIPTION = """
The HTTP API of DataML Studio: anything a page can do, with the same permissions, tenancy and audit log.

Sign in with `POST /api/v1/login/access-token` (OAuth2 password form) and send
`Authorization: Bearer <access_token>`. Access tokens last 15 minutes; `POST /api/v1/refresh` exchanges the
refresh token (7 days) for a new pair, and the old refresh token is spent: presenting it again revokes the
whole chain. Signing out in the app, a password change or deactivation ends every token of the user.

Differences from the Data ML platform API this follows (seed 004), all on the safer side:

- **Ids are UUID strings**, not integers, so they cannot be guessed or counted.
- **Files are downloaded by id**, never by a server path: `GET /files/download/?file_id=…` (the seed's
  `file_path`), and no response carries a storage path (`dataset_path`, `csv_file_path`, … are left out).
- **A dataset is made of files and has versions.** `/dataset/upload` takes one or more files (one report each);
  `/files/add?dataset_id=…` appends a file's rows as the next version; `/files/delete/{id}` of a dataset's
  file makes a version without its rows. Older versions are kept. `usage` is `training` or `prediction`
  (the seed's `t` / `p` are accepted). Each upload also lands in the datalake (below); the dataset's
  `iceberg_table_name` is its bronze and silver tables' name: as given at upload (lower-case letters, digits and
  `_`; 409 when taken) or made from the dataset's name.
- **Statistics** are a job (`POST /dataset/generate_statistics`, 202); `GET /dataset/statistics` follows the
  job and returns the result when it is done.
- **`/reset-password` needs a token**: a user manager's, or your own with `old_password`.
- Refresh tokens and passwords are accepted **in the body** as well as the seed's query string
  (the access log redacts them either way).
- **Inference** (`/inference`): `train_id` is the model's id or its training job's id; `preprocess_id` is
  accepted and ignored (preprocessing is part of the model). `POST /inference/` (also at
  `POST /inference/form-based-prediction`) scores one case, with `explain: true` its SHAP contributions per
  column and base value; `GET /inference/form-based-prediction?id=…` is the form. `batchPrediction` is a job (202);
  an uploaded file goes to `batchPrediction/upload`. `forecast` answers at once with intervals per level; its
  `frequency` is optional and must be the model's; `dataset_id` is newer history to forecast from. `result` takes a
  batch or forecast job id, or a predictions-log id. `predictions` filters by kind, user and dates and pages with
  `skip` / `limit`; its `accuracy` appears once `POST /inference/predictions/evaluate` matched the logged
  predictions to a labelled dataset by the model's id column (forecasts: series and time).
- **Jobs run in child processes, not on Ray.** `/ray/terminate_ray_job` stops one whatever runs it; its `usage`
  must be the job's family (training, inference, statistics, attribution, monitoring, selftest), else 422. `GET /jobs`,
  `GET /jobs/{id}` and `POST /jobs/{id}/cancel` (409 once finished) are added.
- Another tenant's resources answer 404, as if they did not exist.
- **Training** (`/train/…`): `train_id` is the UUID `POST /train/` returns (the training job's; a model's id works
  too). The seed's Ray callbacks `POST /train/result` and `/train/shap-result` are reads (`GET`): workers store
  their results themselves, so no client can post one. `generate-feature-importance` is a `POST` (it starts a job);
  `update` changes the name (every version), domain and description, not a `preprocess_id`.

Sample attribution (`/attribution`) follows the Attribution Engine v2 API (seeds 000/001), with these differences:

- **Model names are this engine's**: `function_similarity`, `strings_similarity`, `tlsh_similarity`.
  `GET /attribution/results/{sha256_hash}` starts with our `consensus` verdict (also
  `/attribution/results/consensus/{sha256_hash}`); an unknown model name answers 404, a hash that is not 64
  hexadecimal characters 422.
- **`celery_task_id` is the id of the job** running the model (a UUID for `/jobs`); `prediction_results` is a list of
  `{family, score}` best first and `explanation_results` an object (`summary`, `evidence`, `timings`,
  `index_revision`), not strings; results also carry `model_version`, `status` and `detailed_status`.
- **`DELETE /attribution/prediction/{model_name}/{sha256_hash}`** drops that model's result: its status becomes
  `revoked` and `error_details` says who deleted it. Posting the same file again, or
  `POST /attribution/rerun/{sha256_hash}` (not in the seed), runs failed, revoked and deleted models again.
- **`/attribution/versions`** has `attribution-api`, `engine`, `models` (name → version) and `library_revision`;
  there are no `crystal-ball` / `prediction-store` containers. The seed's internal routes (queueing, rows and links
  of predictions, result updates) are the engine's own work and are not served.
- Also not in the seed: `GET /attribution/samples` and `DELETE /attribution/sample/{sha256_hash}` (the Samples
  page's list and delete). Only `/attribution/ping` is open without a token.

The model registry, deployments and drift (`/model`, `/mltraining`, `/deployment`, `/drift`) follow MLConnector
(seed 003), with these differences:

- **Ids are UUIDs** here too. The seed's client-chosen `deployment_id` ("dep-5678") is kept as the deployment's
  `name`. Every model trained here is registered by its name, with no extra call (`POST /model/add` answers 409 for
  a name already in use, trained ones included).
- **Model files must be skops files**: a pickle (`.pkl`) is refused with 422 without being opened; convert it with
  `skops.io.dump(model, "model.skops")`. Each uploaded model file is the next version; `file_kind` is `model`,
  `data` (the drift reference and SHAP background), `code` or `env` (`environment` accepted), never run.
- `modelkind` accepts the seed's spellings ("Regressor", "classifier"); `drift_detection.method` takes the seed's
  numbers or names: 0 `auto` (a test for samples of ≤ 1,000 values, a distance above), 1 `test` (KS / chi-squared),
  2 `distance` (Wasserstein / Jensen–Shannon).
- **Deployments run in this server's process** (no container); `placement` is kept as metadata, as it is for
  `POST /mltraining/add`. That call trains the next version of a model trained here (`train_id` is the job's id);
  models registered from outside are never retrained (409): their code is never run.
- `PATCH /model/{id}` returns the model (the seed: an empty 200); `DELETE` answers 409 while it is deployed.
  `POST /deployment/{id}/predict` answers the seed's `{prediction, explanation}` (the explanation also names its
  `features` and `base_value`) plus `probabilities`, `model_version`, `latency_ms`, `operation_id` and `warnings`;
  every call is an operation in the log.
- Also not in the seed: versions and their notes, aliases (`champion`, `challenger`, any name) with their history,
  artefacts, model cards (Markdown), stop / start, each deployment's operations, and drift checks
  (`POST /drift/check` is a job, 202).

The datalake (`/datalake`, seed 004 §11) serves Apache Iceberg tables in the schemas `bronze` (every uploaded
file as read), `silver` (each dataset's validated rows) and `gold` (`<model>_predictions`: batch predictions),
with these differences:

- **Your tenant's tables only**: another tenant's schema or table answers 404, as an unknown one does.
- `location` is relative to the workspace (`lake/<tenant>/<schema>/<table>`), never a server path; the metadata
  also has `status` (`failed` when the last write did not reach the lake: the upload or batch itself succeeded;
  `POST /datalake/retry` rewrites failed dataset tables), `rows`, `snapshots` and `size_bytes`.
- `/schemas` and `/schemas/tables` answer lists of names; `/tables/columns` adds a `note` where the lake stores
  another type than the upload's (nanosecond timestamps in microseconds, unsigned integers widened, categories as
  text). `numeric_stats` answers 422 for a column that is not numeric; `std_dev` is the sample standard deviation.
- Also not in the seed: `GET /datalake/snapshots` (each write is a snapshot), `GET /datalake/preview` and
  `snapshot_id` on columns, stats and distinct counts (time travel), and `POST /datalake/query`: one read-only
  SELECT over `schema.table` names of your tables (no file functions, COPY, ATTACH, INSTALL / LOAD, SET or writes:
  422 saying why), at most 10,000 rows and 30 s.

Problems (`/problem`, `/algo`, `/data`, `/learnuplet`, `/preduplet`, `/prediction`, `/worker`, `/learndone`,
`/preddone`) follow Morpheo's orchestrator (seed 002), with these differences:

- **The server chooses the UUIDs**: the seed's client-sent `uuid` of a new problem or algorithm is not accepted;
  `POST /data` takes the ids of datasets uploaded with `/dataset/upload` (the seed's Storage).
- **The workflow is fixed by the problem**: instead of a `workflow` file (code we would run), a problem names its
  `template`, `target`, `problem_type` and `metric` (the metrics the product computes); `workflow` reads back as
  `metric:target`. `size_train_dataset` counts **rows** per mini-batch (the seed: data files); a remainder under
  half a batch joins the last one, and batches never span datasets.
- **Test data is hidden**: a problem's `test_dataset` rows, files, statistics and validation details are refused
  (403) on every route to roles without `problems:manage`; only scores leave.
- **An algorithm is a configuration, never code**: `kind` `family` (`algorithm` + estimator `settings`), `auto` (the
  timed search) or `model` (a trained model's setup, refitted). A learnuplet's `train_data` lists the
  `[dataset, first row, row after the last]` mini-batches it trains on: its start's plus its own.
- **Learning runs on the server's job runner** (`compute: internal`, the default: a `problem_learn` job per
  task, whose worker and job are recorded); a problem with `compute: external` leaves `todo` tasks to outside
  workers. The worker routes need the `problems:work` permission (the `worker` role), answer 409 for a task
  another worker took or that is not pending, and 422 for scores that are not finite numbers or whose count
  differs from the test datasets / training mini-batches.
- Also not in the seed: `GET /problem/{uuid}/leaderboard`; the best model gets the registry alias `champion`
  (`/model/{id}/aliases` history), and `POST /prediction` uses it (409 before any model exists).

Errors always have the shape `{detail, details, problems, request_id}`.
"""


def create_app(engine: Engine | None = None) -> FastAPI:
    """The API over ``engine``, or over ``Engine.open()`` (``DATAML_*`` variables) for the server's lifetime."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own = engine is None
        app.state.engine = Engine.open() if own else engine
        try:
            yield
        finally:
            if own:
                app.state.engine.close()

    app = FastAPIOffline(
        title="DataML Studio API",
        version=APP_VERSION,
        description=DESCRIPTION,
        openapi_url=f"{PREFIX}/openapi.json",
        docs_url=f"{PREFIX}/docs",
        redoc_url=f"{PREFIX}/redoc",
        swagger_ui_oauth2_redirect_url=f"{PREFIX}/docs/oauth2-redirect",
        static_url=f"{PREFIX}/docs-static",
        lifespan=lifespan,
    )
    if engine is not None:  # usable without the lifespan too (tests that do not enter the client)
        app.state.engine = engine
    errors.install(app)
    api = APIRouter(prefix=PREFIX, responses=errors.ERROR_RESPONSES)
    routers = (
        login.router,
        users.users,
        users.rbac,
        utils.router,
        templates.router,
        datasets.router,
        files.router,
        attribution.router,
        train.router,
        registry.router,
        registry.training,
        deployments.router,
        deployments.drift,
        inference.router,
        jobs.router,
        jobs.ray,
        recipes.router,
        datalake.router,
        problems.router,
    )
    for router in routers:
        api.include_router(router)
    app.include_router(api)
    return app


app = create_app()
