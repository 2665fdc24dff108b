"""The ASGI application ``api.main:app`` (``python -m api`` serves it with uvicorn on port 8000)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi_offline import FastAPIOffline

from api import errors
from api.routers import datasets, files, inference, jobs, login, templates, users, utils
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
  (the seed's `t` / `p` are accepted); `iceberg_table_name` is not supported yet.
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
  must be the job's family (training, inference, statistics, attribution, selftest), else 422. `GET /jobs`,
  `GET /jobs/{id}` and `POST /jobs/{id}/cancel` (409 once finished) are added.
- Another tenant's resources answer 404, as if they did not exist.

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
        inference.router,
        jobs.router,
        jobs.ray,
    )
    for router in routers:
        api.include_router(router)
    app.include_router(api)
    return app


app = create_app()
