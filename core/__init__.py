"""DataML Studio engine. Pages, tests, benchmarks and scripts all go through ``Engine``.

    from core import Engine, ColumnSpec
    eng = Engine.open(home=None, database_url=None, runner="process")   # DATAML_* fill the gaps
    admin = eng.users.bootstrap_admin(username=..., password=..., email=...)  # only when no user exists
    actor = eng.users.authenticate(username, password)                       # Actor or PermissionDenied

Services (each method takes the acting ``Actor`` first and checks permission and tenant):

- ``eng.users``: needs_bootstrap, bootstrap_admin, authenticate, actor_for, actor_for_remembered (cookie),
  sign_out (voids remembered sign-ins), change_password,
  list, create, set_role, set_active, reset_password, roles, create_role, delete_role (a user manager may not
  grant, or act on a user holding, permissions beyond their own; roles needs ``users:manage``)
- ``eng.tenants``: list, create (platform administrators)
- ``eng.jobs``: get, list, cancel (a worker the engine signalled is ``canceled``, never ``failed``), wait,
  selftest(steps, outcome=succeed | fail | crash | hang) (-> ``Job``; ``job.status`` is a ``JobStatus``,
  ``job.finished``); other services submit jobs through ``submit``, which requires the permission each kind
  declares in ``core.jobs.tasks.TASKS``
- ``eng.audit``: list, security_log (platform admins: events of no tenant, e.g. failed sign-ins of unknown
  names), frame(security=False)
- ``eng.files``: add (bytes or a stream, never a server path), list, get, download, head, delete (files are
  addressed by id only; a file holding a dataset, used by a model or named by an unfinished job is refused with
  its name), preview(file_id, rows=20) -> FilePreview (kind table | text | image | binary: CSV heads through the
  dataset readers, Parquet's first rows, text head, image bytes; damaged files preview as binary with a note).
  Bytes of ``model`` files also need ``models:download``, of ``sample`` files ``attribution:read``; list leaves
  out what the actor may not read
- ``eng.templates``: list, get, create(name, columns, description), update, delete (refused naming the
  datasets that use it), export_json / import_json(data, name=None), infer_from_file(filename, data, sheet)
- ``eng.datasets``: sheets(filename, data); check(filename, data, template_id, sheet) -> ValidationReport (stores
  nothing; rows, file_columns, template_columns, problems with the ``expected`` type, usable_rows, notes such as the
  date order assumed: numeric dates are read day- or month-first as the data shows, month-first when every day is ≤
  12, or as ``ColumnSpec.date_format`` says; without a template, text columns of dates are stored as dates);
  upload(name, filename, data, template_id, sheet, on_problems="keep" | "keep_valid" | "reject") -> Dataset;
  list(status=None | "validated"), get, path, table, frame, preview(limit, offset, columns), statistics(refresh=False)
  (per column incl. ``infinite`` counts), histogram (finite values; ``attrs["infinite"]``), value_counts, correlation,
  csv (the whole dataset, formula-safe), report_csv, delete(cascade=False) (refused naming the models that use it,
  continued versions included, or an unfinished job naming it; cascade deletes the models, all checks first),
  load_samples. Parquet float16/uint64 are converted; durations, times, binary and nested columns are refused naming
  them
- ``eng.health``: status(actor) (versions, database, file store; its file counts for platform admins only)
- ``eng.training``: check(TrainRequest) -> {problem_type, reason, warnings} (reads the data; InvalidInput for
  one class, an all-missing or infinite target, < 20 rows, unknown columns, no feature left (``features=()``
  means none), a feature or id column equal to the target, a dataset with problems); submit(TrainRequest)
  -> Job ``train_tabular`` (same refusals before queueing; result {"model_id"}). ``parent_model_id`` continues
  a model: same name, target, features, id column and problem type; trained on the parent's datasets plus the
  new one (a new version). A name is one predictor: check and submit raise Conflict when the name's latest
  version has another target, feature columns (forecast: time column) or problem type. A regression on a
  dataset with a date column warns "this looks like a time series". check of a forecast request = forecasts.check
- ``eng.models``: list(problem_types=None), get, pipeline (skops, trusted types), holdout -> DataFrame ``row,
  y_true, y_pred[, probability_<class>]``; summary -> ModelSummary (metrics, metrics_frame(), cv_metric,
  leaderboard, confusion, roc, pr, residuals, facts, lineage, warnings); schema_json -> bytes; download -> skops
  bytes (``models:download``; scikit-learn types only: loads with skops.io alone, dates as ``<name>__year`` …);
  background -> DataFrame | None (the ≤ 100 training rows explanations are relative to; None before they were
  kept); importance -> Importance | None (table, per-row SHAP ``values`` in long form,
  rows, output_space, source); feature_importance -> DataFrame ``feature, mean_abs_shap`` on original columns;
  explain(model_id, sample_rows=2000) -> Job ``explain_model``; delete_importance; delete (refused while any
  unfinished job names the model; removes the model, held-out and SHAP files)
- ``eng.inference``: form_fields(model_id) -> [InputField] (template default, else training median / mode);
  predict_one(model_id, values, explain=True) -> Prediction (the pipeline's own prediction, class
  probabilities, SHAP base value + contributions per original column = model output, ``baseline`` saying what the
  base value averages over, warnings, ``input_warnings``: [InputWarning(field, value, problem, message)] for values
  outside the training range and unseen / rare categories; logged);
  predict_batch(model_id, dataset_id=None, data=None, filename=None, explain_top=0) -> Job ``batch_predict``
  (columns and empty files checked at submit; result {"file_id", "rows", "summary", "warnings", "problems"};
  the CSV holds the input columns + prediction + probability_<class> [+ reason_1..3] + input_warnings);
  batch_result(job_id, limit=None) -> DataFrame; log(model_id=None, user=None, since=None, until=None) -> DataFrame;
  forecast(model_id, steps=12, series_ids=None, level=(80, 95)) -> DataFrame (= ``eng.forecasts.forecast``)
- ``eng.forecasts``: check(TrainRequest) -> {problem_type, reason, warnings, frequency, season_length, horizon,
  series} (reads the data: bad dates / values, duplicates, irregular timestamps raise InvalidInput with rows;
  so do what training would refuse: horizon or season length outside 1–10,000, every series under 3 points, a
  frequency that would cut a series into more than 100 periods per row);
  series(model_id); history(model_id) -> unique_id, ds, y; summary(model_id) -> ForecastSummary (settings,
  leaderboard, chosen model + CV MASE / sMAPE / RMSE per series, every candidate's errors, CV forecasts, notes);
  forecast(model_id, steps=12, series_ids=None, level=(80, 95), future_dataset_id=None) -> DataFrame ``unique_id,
  ds, model, forecast, lo-80, hi-80, lo-95, hi-95`` (refits the chosen configuration per series: a median, mean or
  error-weighted mean of ETS, ARIMA, Theta and CES, or one model; a model trained with ``exogenous`` columns
  needs ``future_dataset_id``, a dataset with their values for every forecast period, and is refused without;
  steps are limited to 10,000, 10× the history, 2,000,000 rows in all and, for histories held in nanoseconds,
  dates before 2262; histories over 250 years or before 1677 are held in seconds (``datetime64[s]``);
  logged with kind "forecast", the CSV
  kept as a result file; ``attrs`` file_id, log_id); submit(same arguments) -> Job ``forecast`` (result
  {"file_id", "log_id", "rows", "series"}); result(job_id) -> DataFrame. Training: ``eng.training.submit`` with
  ``TrainRequest(problem_type="forecast", time_column=..., target=..., series_column=None, frequency=None,
  season_length=None, horizon=None, resample=False, exogenous=())`` -> Job ``train_forecast`` (season_length None:
  each series' seasons are detected among the frequency's natural ones; MSTL joins for several)
- ``eng.attribution`` (permissions ``attribution:read`` / ``attribution:submit`` / ``attribution:library``):
  reference library — add_reference(family=, filename=, data=) / add_references(family=, files=[(name, bytes)])
  (empty, over the upload limit, compressed archives and files already in the library are refused, a batch as a
  whole), list_references(family=None) -> [ReferenceSample], families() -> DataFrame ``family, samples,
  analysed, functions, bytes, last_added``, remove_reference(id), library() -> ReferenceLibrary | None (revision,
  counts, ``stale``), rebuild_index() -> Job ``attribution_index`` (analyses new references once, calibrates the
  consensus on leave-one-out and leave-one-family-out answers, saves the index atomically; result {"revision",
  "samples", "families", "functions"}); samples — submit(filename, data) ->
  AttributionSample (id = SHA-256; the same bytes return the existing sample; refused without an index; one
  ``attribution_run`` job per model, params {"sample_id", "model"}), get_sample, list_samples (``sample.state``),
  status(sample_id) -> {"status": {model: state}, "detailed_status": {model: {"phase_1": s, "phase_2": s}}} with
  states pending | running | done | failed | revoked | not_applicable, results(sample_id) -> the consensus verdict
  first (model "consensus": families best first combining the models' rankings, evidence {verdict (a family or
  "unknown family"), confidence (calibrated when the index was built), agreed, disagreed, not_voting}), then one
  dict per model (model, model_version, sha256_hash, predicted_at, task_id, status, detailed_status,
  error_details, prediction_results best first, explanation_results {summary, evidence, timings, index_revision}),
  results_csv / results_json -> bytes, revoke(sample_id) (unfinished models' jobs cancelled, phases revoked, no
  result kept; Conflict once finished), delete(sample_id), versions() -> {engine, models, library_revision}

Additions to DESIGN.md §3: ``eng.users.needs_bootstrap()``, ``eng.jobs.selftest()``, ``eng.health``.
Job task functions receive ``(ctx, params)`` where ``ctx.engine``, ``ctx.job`` and ``ctx.actor`` are set.

This package is the public API: pages and ``ui/`` import only from ``core`` itself (an import contract in
pyproject.toml enforces it), so it re-exports every type the methods above take or return, the errors, and
the vocabularies a form offers (``COLUMN_TYPES``, ``PASSWORD_RULE``, ``PERMISSIONS``, ``USER_KINDS``,
``TABULAR``, ``MAX_REASONS``, ``METRICS``, ``CV_METRICS``) and ``safe_csv`` for downloads.
"""

from core.datasets import RowProblem, ValidationReport
from core.engine import Engine
from core.entities import (
    COLUMN_TYPES,
    Actor,
    AttributionRun,
    AttributionSample,
    AuditEvent,
    ColumnSpec,
    Dataset,
    FileInfo,
    InputField,
    InputWarning,
    Job,
    JobStatus,
    Model,
    Prediction,
    PredictionRecord,
    ReferenceLibrary,
    ReferenceSample,
    Role,
    Template,
    Tenant,
    TrainRequest,
    User,
)
from core.errors import Conflict, CoreError, InvalidInput, JobFailed, NotFound, PermissionDenied, Problem
from core.exports import safe_csv
from core.security.passwords import PASSWORD_RULE
from core.security.permissions import PERMISSIONS
from core.services.files import USER_KINDS, FilePreview
from core.services.forecasts import ForecastSummary
from core.services.importance import Importance
from core.services.inference import MAX_REASONS, TABULAR
from core.services.model_summary import CV_METRICS, METRICS, ModelSummary

__all__ = [
    "COLUMN_TYPES",
    "CV_METRICS",
    "MAX_REASONS",
    "METRICS",
    "PASSWORD_RULE",
    "PERMISSIONS",
    "TABULAR",
    "USER_KINDS",
    "Actor",
    "AttributionRun",
    "AttributionSample",
    "AuditEvent",
    "ColumnSpec",
    "Conflict",
    "CoreError",
    "Dataset",
    "Engine",
    "FileInfo",
    "FilePreview",
    "ForecastSummary",
    "Importance",
    "InputField",
    "InputWarning",
    "InvalidInput",
    "Job",
    "JobFailed",
    "JobStatus",
    "Model",
    "ModelSummary",
    "NotFound",
    "PermissionDenied",
    "Prediction",
    "PredictionRecord",
    "Problem",
    "ReferenceLibrary",
    "ReferenceSample",
    "Role",
    "RowProblem",
    "Template",
    "Tenant",
    "TrainRequest",
    "User",
    "ValidationReport",
    "safe_csv",
]
