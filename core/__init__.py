"""DataML Studio engine. Pages, tests, benchmarks and scripts all go through ``Engine``.

    from core import Engine, ColumnSpec
    eng = Engine.open(home=None, database_url=None, runner="process")   # DATAML_* fill the gaps
    admin = eng.users.bootstrap_admin(username=..., password=..., email=...)  # only when no user exists
    actor = eng.users.authenticate(username, password)                       # Actor or PermissionDenied

Services (each method takes the acting ``Actor`` first and checks permission and tenant):

- ``eng.users``: needs_bootstrap, bootstrap_admin, authenticate, actor_for, change_password,
  list, create, set_role, set_active, reset_password, roles, create_role, delete_role
- ``eng.tenants``: list, create (platform administrators)
- ``eng.jobs``: get, list, cancel, wait, selftest; other services submit jobs through ``submit``
- ``eng.audit``: list, frame
- ``eng.files``: add, list, get, download, head, delete (files are addressed by id only; a file holding a
  dataset is refused with its name), preview(file_id, rows=20) -> FilePreview (kind table | text | image |
  binary: CSV heads through the dataset readers, Parquet's first rows, text head, image bytes)
- ``eng.templates``: list, get, create(name, columns, description), update, delete (refused naming the
  datasets that use it), export_json / import_json(data, name=None), infer_from_file(filename, data, sheet)
- ``eng.datasets``: sheets(filename, data); check(filename, data, template_id, sheet) -> ValidationReport
  (stores nothing); upload(name, filename, data, template_id, sheet, on_problems="keep" | "keep_valid" |
  "reject") -> Dataset; list(status=None | "validated"), get, path, table, frame, preview(limit, offset,
  columns), statistics(refresh=False), histogram, value_counts, correlation, report_csv,
  delete(cascade=False) (refused naming the models that use it; cascade deletes them), load_samples
- ``eng.health``: status (versions, database, file store)
- ``eng.inference``: form_fields(model_id) -> [InputField] (template default, else training median / mode);
  predict_one(model_id, values, explain=True) -> Prediction (the pipeline's own prediction, class
  probabilities, SHAP base value + contributions per original column = model output, warnings; logged);
  predict_batch(model_id, dataset_id=None, data=None, filename=None, explain_top=0) -> Job ``batch_predict``
  (columns and empty files checked at submit; result {"file_id", "rows", "summary", "warnings", "problems"};
  the CSV holds the input columns + prediction + probability_<class> [+ reason_1..3]);
  batch_result(job_id, limit=None) -> DataFrame; log(model_id=None, user=None, since=None, until=None) -> DataFrame

Additions to DESIGN.md §3: ``eng.users.needs_bootstrap()``, ``eng.jobs.selftest()``, ``eng.health``.
Job task functions receive ``(ctx, params)`` where ``ctx.engine``, ``ctx.job`` and ``ctx.actor`` are set.
"""

from core.engine import Engine
from core.entities import Actor, ColumnSpec, FileInfo, InputField, Job, Prediction, PredictionRecord, Role, Tenant, User
from core.errors import Conflict, CoreError, InvalidInput, JobFailed, NotFound, PermissionDenied, Problem

__all__ = [
    "Actor",
    "ColumnSpec",
    "Conflict",
    "CoreError",
    "Engine",
    "FileInfo",
    "InputField",
    "InvalidInput",
    "Job",
    "JobFailed",
    "NotFound",
    "PermissionDenied",
    "Prediction",
    "PredictionRecord",
    "Problem",
    "Role",
    "Tenant",
    "User",
]
