"""DataML Studio engine. Pages, tests, benchmarks and scripts all go through ``Engine``.

    from core import Engine, ColumnSpec
    eng = Engine.open(home=None, database_url=None, runner="process")   # or "ray", "inline"; DATAML_* fill the gaps
    Engine.preload()  # imports the model libraries now (seconds); a server runs it in a background thread
    admin = eng.users.bootstrap_admin(username=..., password=..., email=...)  # only when no user exists
    actor = eng.users.authenticate(username, password)                       # Actor or PermissionDenied

Services (each method takes the acting ``Actor`` first and checks permission and tenant):

- ``eng.users``: needs_bootstrap, bootstrap_admin, authenticate, actor_for, actor_for_remembered (cookie),
  sign_out (voids remembered sign-ins and API tokens), actor_since(user_id, issued_at), me, change_password,
  reset_password_by_name(username, new, old=None), get, permissions, create_permission (custom names roles can hold),
  create(..., tenant_id=None: another tenant for platform administrators),
  list, create, set_role, set_active, reset_password, roles, create_role, delete_role (a user manager may not
  grant, or act on a user holding, permissions beyond their own; roles needs ``users:manage``)
- ``eng.tokens`` (API bearer tokens): sign_in(username, password) -> TokenPair (as authenticate: throttle, audit;
  ``Unauthenticated`` on refusal), actor_for_access(token), refresh(token) (rotation; a spent refresh token revokes
  its chain, audited ``api.refresh_reused``), revoke(token); refresh tokens in table ``refresh_tokens`` by jti; HS256
  with ``derived_key(workspace secret, "api-token")``, claims sub/jti/typ/aud/iat/exp
- ``eng.tenants``: list, create (platform administrators)
- ``eng.jobs``: get, list(kinds=None, limit, statuses=None, offset=0) (newest first), cancel (a worker the engine
  signalled is ``canceled``, never ``failed``), terminate(job_id, usage) (cancel when ``usage`` names the job's
  family, ``core.JOB_FAMILIES`` / ``core.job_family``: training, inference, statistics, attribution, monitoring,
  selftest; else InvalidInput), wait,
  selftest(steps, outcome=succeed | fail | crash | hang) (-> ``Job``; ``job.status`` is a ``JobStatus``,
  ``job.finished``); submit(kind, title, params) requires the permission each kind declares in
  ``core.jobs.tasks.TASKS`` and links the job to the datasets, models and files its parameters name (each must be
  the actor's tenant's, else ``NotFound``): while it is unfinished, those cannot be deleted
- ``eng.audit``: list, security_log (platform admins: events of no tenant, e.g. failed sign-ins of unknown
  names), frame(security=False)
- ``eng.files``: add (bytes or a stream, never a server path), list, get, download, head, delete (files are
  addressed by id only; a file holding a dataset, linked to a model or named by an unfinished job is refused with
  its name), preview(file_id, rows=20) -> FilePreview (kind table | text | image | binary: CSV heads through the
  dataset readers, Parquet's first rows, text head, image bytes; damaged files preview as binary with a note).
  Bytes of ``model`` files also need ``models:download``, of ``sample`` files ``attribution:read``; list leaves
  out what the actor may not read
- ``eng.templates``: list, get, create(name, columns, description), update (omitted fields kept), delete (refused
  naming the datasets that use it), export_json(shape=studio | seed) / import_json(data, name=None) (either shape; seed
  types in any case), infer_from_file(filename, data, sheet)
- ``eng.datasets``: sheets(filename, data); check(filename, data, template_id, sheet) -> ValidationReport (stores
  nothing; rows, file_columns, template_columns, problems with the ``expected`` type, usable_rows, notes such as the
  date order assumed: numeric dates are read day- or month-first as the data shows, month-first when every day is ≤
  12, or as ``ColumnSpec.date_format`` says; without a template, text columns of dates are stored as dates);
  upload(name, filename, data, template_id, sheet, on_problems="keep" | "keep_valid" | "reject",
  usage="training" | "prediction", lake_table=None) -> Dataset (the file is kept as the dataset's first file, see
  dataset_files; ``lake_table`` names its datalake tables: InvalidInput unless lower-case letters, digits and _,
  Conflict when the tenant has it);
  list(status=None | "validated", usage=None), get, path, table, frame, preview(limit, offset, columns),
  statistics(refresh=False) (per column incl. ``infinite`` counts; cached per version), stored_statistics (the cache
  or None), generate_statistics -> Job (kind ``dataset_statistics``, ``datasets:read``), histogram (finite
  values; ``attrs["infinite"]``), value_counts, correlation,
  csv (the whole dataset, formula-safe), report_csv, delete(cascade=False) (refused naming the models that use it,
  continued versions included, or an unfinished job naming it; cascade deletes the models; one transaction),
  load_samples. Parquet float16/uint64 are converted; durations, times, binary and nested columns are refused naming
  them
- ``eng.dataset_files`` (a dataset is its files' rows, one Parquet file per version, older versions kept):
  upload(name, files=[(filename, data)], template_id, sheet, on_problems, usage) -> DatasetUpload(dataset, files
  with a report each; without a template the first file's types bind the rest), add(dataset_id, files, ...) (the
  next version; the dataset's columns, extra ones reported and left out), remove(file_id) (the next version without
  its rows; Conflict for the only file), delete_file(file_id) (remove for a dataset's file, else eng.files.delete),
  list(dataset_id), of_file(file_id), versions(dataset_id), facts() -> {dataset_id: (file count, modified)}
- ``eng.datalake`` (issue 20; ``datasets:read``, ``retry`` ``datasets:write``): Apache Iceberg tables (pyiceberg
  0.12, its SQL catalog in the product database: pyiceberg's own tables ``iceberg_tables`` /
  ``iceberg_namespace_properties``, namespaces ``(tenant_id, schema)``; warehouse ``DATAML_HOME/lake/<tenant>``) in
  three schemas: ``bronze`` (each uploaded file as read, + ``_load_id``, ``_source_file``, ``_loaded_at``),
  ``silver`` (the dataset's validated, typed rows; bronze and silver tables named ``lake_table`` or after the
  dataset, made unique: ``sales``, ``sales_2``; ``of_dataset`` gives them: the seed's ``iceberg_table_name``),
  ``gold`` (``<model>_predictions``: each batch prediction's inputs and outputs +
  ``_model_version``, ``_job_id``, ``_predicted_at``). Uploads, added and removed files and batch predictions
  write after their own commit; a failed lake write leaves them done and the table ``failed`` with its
  ``error`` (``retry`` rewrites failed dataset tables); ``DATAML_LAKE=off`` skips these writes.
  schemas(); tables(schema) -> [LakeTable]; table(schema,
  table) -> LakeTable (owner, created_time, last_access_time (recorded on each read), location relative to the
  workspace, format "iceberg", status, rows, snapshots, size_bytes); of_dataset(dataset_id); columns(schema,
  table, snapshot_id=None) -> [LakeColumn(column_name, data_type, note)] (note: ns timestamps stored in µs,
  unsigned ints widened, categories as text ...); snapshots -> [LakeSnapshot] (time travel: ``snapshot_id`` in
  columns / preview / numeric_stats / distinct_count / histogram); preview(limit ≤ 10,000);
  numeric_stats(column) -> NumericStats (count, mean, std_dev sample, min, max, median; InvalidInput for a
  non-numeric column); distinct_count(column) -> int; histogram(column, bins) -> DataFrame ``low, high, count``;
  query(sql, max_rows=10,000) -> LakeQuery (one SELECT over ``schema.table`` names of the tenant's tables, DuckDB
  with external access off and its configuration locked, 30 s; InvalidInput for table functions such as
  read_csv, COPY, ATTACH, INSTALL / LOAD, SET, writes, several statements, unknown or other tenants' tables).
  Another tenant's or an unknown schema, table, column or snapshot is NotFound
- ``eng.health``: status(actor) (versions, database, file store; its file counts for platform admins only),
  alive() (yes or no, for unauthenticated probes)
- ``eng.training``: check(TrainRequest) -> TrainingCheck (problem_type, reason, warnings; a forecast also
  frequency, season_length, horizon, series) (reads the data; InvalidInput for one class, an all-missing or
  infinite target, < 20 rows, unknown columns, no feature left (``features=()`` means none), a feature or id column
  equal to the target, a dataset with problems; for a forecast what ``eng.forecasts.check`` refuses);
  submit(TrainRequest) -> Job ``train_tabular`` / ``train_forecast`` (result {"model_id"}): exactly check's
  refusals, for every problem type, before anything is queued; the rows check read are not read again.
  ``parent_model_id`` continues a model: same name, target, features, id column and problem type; trained on the
  parent's datasets plus the new one (a new version). A name is one predictor: check and submit raise Conflict
  when the name's latest version has another target, feature columns (forecast: time column) or problem type. A
  regression on a dataset with a date column warns "this looks like a time series". ``algorithm`` (tabular: one
  of ``ALGORITHMS``) restricts the search to that family; an unknown name is InvalidInput. ``domain`` (a free
  label, ≤ 100 characters) is kept on the model; None takes the predictor's latest version's. ``column_types``
  ((column, ``COLUMN_TYPES`` name) pairs) overrides how feature columns are read (an integer code as a category):
  InvalidInput for a column that is no feature of the request, an unknown type or a value it cannot read; a
  continued version reads its columns as its parent did.
  list(domain=None, problem_type=None, status=None) -> [Training] (the seed's /train/list: every model version,
  ``ready``, plus each training job that made no model: ``queued``, ``training``, ``failed`` (interrupted too),
  ``canceled``; newest first; others' unfinished jobs only with ``jobs:read``; ``TRAINING_STATES``);
  get(train_id) -> Training (a training job's id or a model's id; NotFound once its model was deleted)
- ``eng.models``: list(problem_types=None, domain=None) (domain ignoring case), latest(name) -> Model (the
  predictor's newest version), update(model_id, name=None, domain=None, description=None) -> Model (``name``
  renames the predictor: every version, Conflict when another predictor has it or while a training of either
  name is unfinished; ``domain`` and ``description`` are the version's own; ``models:train``; audited),
  of_training(train_id) -> Model (a model id, or its training job's id
  as the API's ``train_id``; Conflict while that job is unfinished or failed), get -> Model (typed: ``schema`` a
  ModelSchema for tabular models,
  ``forecast`` a ForecastSpec for forecasters (its ``exogenous`` columns need future values), ``details``
  ModelDetails (tabular: leaderboard, algorithm, trials ...), ``datasets`` its training datasets in order,
  ``files`` its files by role: model, holdout, background, importance), pipeline (skops, trusted types), holdout ->
  DataFrame ``row, y_true, y_pred[, probability_<class>]``; summary -> ModelSummary (holdout, metrics,
  metrics_frame(), cv_metric, leaderboard, confusion, per_class (class, precision, recall, f1, support), roc, pr,
  residuals, facts, lineage, warnings, importance: all the Models page shows; a classifier's metrics include
  ``precision`` and ``recall``, macro: from its held-out rows for models stored before they were);
  schema_json -> bytes; download -> skops bytes (``models:download``; loads with skops.io
  and scikit-learn, plus lightgbm / xgboost-cpu when it has such members; dates as ``<name>__year`` …);
  background -> DataFrame | None (the ≤ 100 training rows explanations are relative to; None before they were
  kept); importance -> Importance | None (table, per-row SHAP ``values`` in long form,
  rows, output_space, source); feature_importance -> DataFrame ``feature, mean_abs_shap`` on original columns;
  explain(model_id, sample_rows=2000) -> Job ``explain_model``; delete_importance; delete (refused while any
  unfinished job names the model; removes the model, its links and every file of it in one transaction)
- ``eng.inference``: form_fields(model_id, raw=False) -> [InputField] (template default, else training median /
  mode; ``raw``: a model trained on prepared data asks for the columns its recipe reads, starting at the recipe
  source's typical values — InvalidInput without a recipe);
  predict_one(model_id, values, explain=True) -> Prediction (the pipeline's own prediction, class
  probabilities, SHAP base value + contributions per original column = model output, ``baseline`` saying what the
  base value averages over, warnings, ``input_warnings``: [InputWarning(field, value, problem, message)] for values
  outside the training range, unseen / rare categories and raw values the recipe's cast could not read (scored as
  missing); logged);
  predict_batch(model_id, dataset_id=None, data=None, filename=None, explain_top=0) -> Job ``batch_predict``
  (columns and empty files checked at submit; result {"file_id", "rows", "summary", "warnings", "problems"},
  ``warnings`` first saying, per column, how many raw values the model's recipe could not cast (scored as
  missing) and the first of them; the CSV holds the input columns + prediction + probability_<class>
  [+ reason_1..3] + input_warnings);
  batch_result(job_id, limit=None) -> DataFrame; log(model_id=None, user=None, since=None, until=None) -> DataFrame
  (= ``eng.predictions.frame``); forecast(model_id, steps=12, series_ids=None, level=(80, 95), frequency=None,
  history_dataset_id=None) -> DataFrame (= ``eng.forecasts.forecast``). predict_one logs a value given for the
  model's id column with the inputs (not used to predict), so the prediction can be checked later. predict_batch
  and batch_result live in ``core/services/batch_scoring.py`` (the service's base class), the rest in
  ``inference.py``
- ``eng.predictions`` (the predictions log): list(model_id, kind, user, since, until, offset, limit) ->
  [PredictionRecord] (newest first; ``problem_type`` of the model, ``outcome``), count(same filters), frame(...) ->
  DataFrame (the Predictions page's table); result(prediction_id) -> PredictionResult (a batch or forecast job's
  id, from submission on, or a log entry's id: status, file id, dataset id, rows, summary, warnings, error, the
  entry; any other id NotFound); evaluate(model_id, dataset_id) -> Evaluation: every successful logged prediction
  of the model is matched to the labelled dataset's rows by the model's id column (forecasts: series and time
  columns; keys compared as the result CSVs write them, "17.0" = "17", the last row of a key winning), and each
  entry with matches keeps an ``Outcome`` (``accuracy`` for classification, ``mae`` in target units for regression
  and forecasts; rows, dataset, time) replacing an earlier one; a model without an id column is InvalidInput;
  ``inference:run``
- ``eng.forecasts``: check(TrainRequest) -> TrainingCheck (reads the data: bad dates / values, duplicates,
  irregular timestamps raise InvalidInput with rows;
  so do what training would refuse: horizon or season length outside 1–10,000, every series under 3 points, a
  frequency that would cut a series into more than 100 periods per row);
  series(model_id); history(model_id, history_dataset_id=None) -> unique_id, ds, y; summary(model_id) ->
  ForecastSummary (spec, settings,
  leaderboard, chosen model + CV MASE / sMAPE / RMSE per series, every candidate's errors, CV forecasts, notes);
  forecast(model_id, steps=12, series_ids=None, level=(80, 95), future_dataset_id=None, *, frequency=None,
  history_dataset_id=None) -> DataFrame ``unique_id,
  ds, model, forecast, lo-80, hi-80, lo-95, hi-95`` (refits the chosen configuration per series: a median, mean or
  error-weighted mean of ETS, ARIMA, Theta and CES, or one model; a model trained with ``exogenous`` columns
  needs ``future_dataset_id``, a dataset with their values for every forecast period, and is refused without;
  steps are limited to 10,000, 10× the history, 2,000,000 rows in all and, for histories held in nanoseconds,
  dates before 2262; histories over 250 years or before 1677 are held in seconds (``datetime64[s]``);
  logged with kind "forecast", the CSV
  kept as a result file; ``attrs`` file_id, log_id; ``frequency``, when given, must be the model's in any spelling
  (``Week``, ``weekly``, ``W-SUN``), else InvalidInput; ``history_dataset_id``: a dataset of newer observations with
  the training data's columns, the history continued by it (a newer value replaces the older one of a period; no
  period may be missing between them; refused when it adds nothing after the training data), so the forecast starts
  from its end without retraining); submit(same arguments) -> Job
  ``forecast`` (result
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
  "samples", "families", "functions"}); samples — submit(filename, data) -> AttributionSample (data: bytes or a
  stream, over the limit ``TooLarge``; id = SHA-256; the same bytes return the existing sample, its failed or revoked
  models queued again; refused without an index; one ``attribution_run`` job per model, params {"sample_id", "model"};
  a run takes writes only from the job it was last queued with), rerun(sample_id) (queues again the models in
  ``sample.rerunnable``: failed, revoked or deleted; Conflict when none), get_sample, list_samples (``sample.state``);
  every ``sample_id`` is a SHA-256 in hexadecimal (any case, else InvalidInput on field ``sha256_hash``),
  status(sample_id) -> {"status": {model: state}, "detailed_status": {model: {"phase_1": s, "phase_2": s}}} with
  states pending | running | done | failed | revoked | not_applicable, results(sample_id) -> the consensus verdict
  first (model "consensus": families best first combining the models' rankings, evidence {verdict (a family or
  "unknown family"), confidence (calibrated when the index was built), agreed, disagreed, not_voting}), then one dict
  per model (model, model_version, sha256_hash, predicted_at, task_id, status, detailed_status, error_details,
  prediction_results best first, explanation_results {summary, evidence, timings, index_revision}), result(sample_id,
  model) -> one of those entries ("consensus" or a model; NotFound naming the sample's models), results_csv /
  results_json -> bytes, revoke(sample_id, model=None) (unfinished models' jobs, or that model's, cancelled, phases
  revoked, no result kept; Conflict once finished), delete_prediction(sample_id, model) (drops one model's result,
  stopping it first: it shows ``revoked``, "Prediction deleted by …", and does not vote), delete(sample_id),
  versions() -> {engine, models, library_revision}. The reference library's methods live in
  ``core/services/attribution_library.py``, the samples' in ``attribution.py``
- ``eng.registry`` (model registry; ``models:read``, writes ``models:register``): every predictor trained here is a
  registered model by its name (id derived from tenant + name, stable before anything is stored; its versions are
  its ``Model`` rows, metadata nobody declared read from the latest one); register(name, kind, metadata) a model
  trained elsewhere (kind: ``MODEL_KINDS``, the seed's "Regressor" / "classifier" spellings accepted; metadata:
  ``ModelMetadata`` fields, ``drift.method`` by name or the seed's integer, ``DRIFT_METHODS[i]``); upload(model_id,
  kind, filename, data) by ``ARTIFACT_KINDS``: ``model`` a skops file (trusted types only; a pickle is refused
  unopened with how to convert it) = the next version, ``data`` a table kept as Parquet = the drift reference and
  SHAP background, ``code`` / ``env`` kept, never run; list(skip, limit, kind, tags (all must match, ignoring case),
  name), get, update(model_id, changes) (omitted fields kept; name / kind only for external models), delete
  (Conflict while deployed; trained versions need ``models:train``), artifacts, versions (newest first), version,
  describe_version(version_id, description, tags), set_alias(model_id, alias, version id or number) /
  remove_alias (Conflict while a deployment follows it) / alias_history(model_id, alias=None) -> [AliasMove] (who,
  when, from → to; kept when versions go), train(model_id, dataset_id=None, placement, time_budget_s) -> Job (the
  next version of a trained model, same target and features; placement kept as metadata), card(version_id) ->
  the version's model card (Markdown: purpose, data, metrics, importance, aliases, deployments, latest drift
  check). The methods of versions and aliases live in ``core/services/registry_versions.py``, the rest in
  ``registry.py``.
- ``eng.deployments`` (``deployments:read``, changes ``deployments:manage``, predict ``inference:run``):
  create(model_id, version=None, alias=None, owner, placement {clusterID, node, continuum} (kept as metadata),
  inference_data=True, name) -> Deployment (``model_id`` a registered model (newest version, a number, or ``alias``:
  it serves whatever the alias points at, "latest" the newest) or a version id; classification / regression only;
  ``status`` running, or failed with the ``reason`` when the version does not load); list(skip, limit, model_id),
  get (a running deployment whose alias points nowhere reads failed), stop, start, delete (operations stay);
  predict(deployment_id, data, explain=False) -> ServedPrediction (data: an object, a list of values in feature
  order, or a list of either; ≤ 10,000 rows, ≤ 100 explained; ``explanation`` {method "shap", features,
  feature_importance (a row's SHAP values, a list per row for several), base_value}; raw rows of a version trained
  on prepared data go through its recipe first, ``warnings`` saying per column how many values its cast could not
  read (scored as missing), and the prepared rows are what the log keeps); every call, refused
  ones included, is an Operation (owner, version, inputs when ``inference_data``, result, latency_ms);
  add_operation(deployment_id, data, result, owner, version_id, latency_ms) (one made elsewhere; JSON text
  accepted); operations(deployment_id=None, owner=None, skip, limit) newest first
- ``eng.drift`` (``deployments:read``; a check ``inference:run``): check(deployment_id | model_id, dataset_id=None,
  filename + data=None, window=None) -> Job ``drift_check`` (result {"drift_check_id", "drifted"}): the current data
  (a dataset, an uploaded table, or the deployment's ``window`` latest input rows) against the reference (the
  model's data artefact, else its training datasets) with ``core.monitoring.compare`` under the model's
  ``DriftSettings`` (method auto | test | distance, share), predictions of both sides compared too; the same job
  starts by itself every ``DriftSettings.every`` operations of a deployment when ``enabled``; checks(model_id,
  deployment_id, limit) -> [DriftCheck] newest first; get(check_id) (``frame()``: one row per column)
- ``eng.recipes`` (data preparation; reads ``datasets:read``, writes ``datasets:write``): a recipe (``Recipe``:
  ordered typed steps, see ``core.prep``; JSON ``{"steps": [{"kind": ...}, ...]}`` accepted anywhere) written for a
  dataset. preview(dataset_id, steps, step=None, sample_rows=5000) -> StepPreview (rows after the step, a summary per
  column, the rows it removed / changed, per-step reports); create(name, dataset_id, steps, description) /
  update(recipe_id, name=, steps=, description=) (steps checked on the dataset's rows) -> RecipeInfo; get, list(
  dataset_id=None), delete; export_json / import_json(data, dataset_id, name=None); suggest(dataset_id) -> Recipe
  ("Fix": casts, fills and a filter of bad rows from the validation report and the text columns); run(recipe_id,
  output_name=None, in_place=False) -> Job ``prepare_dataset`` (result {"dataset_id", "rows", "status"}: a new
  dataset, or with ``in_place`` the dataset's next version, validated against the source's template);
  lineage(dataset_id, version=None) -> Lineage | None. A model trained on a prepared dataset keeps the recipe's
  replay (``ModelDetails.recipe``): batch and form predictions of raw rows (rows lacking a feature or holding one
  in another type) go through it first (rows kept one for one; learned fill values and categories frozen; a
  reshaping recipe refuses raw rows in words)

``eng.dataset_files.replace(dataset_id, files, change)``: the files' rows as the dataset's next version (what a
recipe run ``in_place`` makes).

- ``eng.problems`` (issue 19, the Morpheo seed; reads ``models:read`` or ``problems:work``): create(name=,
  template_id=, target=, problem_type= classification | regression, metric= a ``PROBLEM_METRICS`` name (its
  direction kept), size_train_dataset= rows per mini-batch (10–10,000,000), test_dataset=(), description,
  compute= internal | external) -> LearningProblem (``problems:manage``; its models are the versions of the
  registry predictor named like it), add_test_data(problem_id, dataset_id), list(filters) / get: test datasets are
  **hidden**: while a problem tests on a dataset, its rows, files (every version and original), statistics,
  validation examples, batch predictions and their results are refused (PermissionDenied) to roles without
  ``problems:manage`` on every read path (``core.services.hidden``, called by the dataset, dataset-file, file and
  inference services), and a problem's datasets (test or training) cannot change rows or be deleted;
  add_algo(problem_id, name, kind= family | auto | model, algorithm= an ``ALGORITHMS`` name, settings= estimator
  parameters (checked now by the estimator) or {time_budget_s} for auto, model_id= a trained model whose setup is
  refitted) -> (Algorithm, tasks made) (``models:train``), algos(filters) / algo; add_data(dataset_ids,
  problem_ids) -> (attached ProblemData, tasks made): each dataset is cut into ``size_train_dataset``-row
  mini-batches (a remainder under half a batch joins the last; batches never span datasets) and every algorithm
  of those problems gets one learning task per mini-batch after its last rank; data(filters) / data_item;
  learnuplets(filters: uuid, problem, algo, status, worker) / learnuplet -> Learnuplet: status ``TASK_STATES``
  waiting → todo → pending → done | failed; an algorithm's first unfinished task becomes todo when the earlier
  ranks are finished, starting from the best of them (strictly better only: a rank that does not improve, or
  fails, is no start), trained on its start's mini-batches plus its own (``train_data``); internal problems run it
  as a ``problem_learn`` job (family training) of the task's owner (the next rank's job is started by the
  job running the first of the chain, in a loop: inline and in a worker process a chain runs in one process;
  a task whose job was interrupted finishes failed when the engine reaps the job), which claims it (worker =
  host:pid, job recorded), fits, scores ``perf`` (all test data), ``test_perf`` (per test dataset) and
  ``train_perf`` (per training mini-batch) with ``core.ml.learning``, stores the model version (parent: its
  start) and the test predictions, and finishes it (failed with the error on any failure or cancel); the
  problem's best finished task with a model gets the registry alias ``champion`` (moves kept in alias_history);
  leaderboard(problem_id) ->
  Leaderboard (algorithms best first, each one's history over ranks); test_predictions(task_id) -> DataFrame
  ``test, row, y_pred[, probability_<class>]`` (``problems:manage``); predict(problem_id, dataset_ids) ->
  [Preduplet] (``inference:run``; the champion's batch prediction job per dataset; Conflict before any model),
  preduplets(filters) / preduplet (status and result file from the job). Worker side (``problems:work``, the
  ``worker`` role): claim(uplet_type, uplet_id, worker) (todo → pending, Conflict when taken),
  learn_done(task_id, status, perf, train_perf, test_perf, error) (a pending task; finite scores, one per test
  dataset / training mini-batch), pred_done(pred_id, status, prediction_file_id)

Additions to DESIGN.md §3: ``eng.users.needs_bootstrap()``, ``eng.jobs.selftest()``, ``eng.health``, ``eng.tokens``;
for the attribution API (seeds 000/001) ``eng.attribution.result``, ``revoke(..., model)``, ``delete_prediction``
and ``rerun``;
for the seed's training API: ``Model.domain`` / ``description`` (revision 0007), ``eng.models.update`` /
``latest`` / ``list(domain=)``, ``eng.training.list`` / ``get`` (``Training``), ``TrainRequest.domain`` /
``column_types``, precision and recall in the metrics.
Errors: ``Unauthenticated`` (a ``PermissionDenied``: who is asking is not established; API 401) and ``TooLarge``
(an ``InvalidInput``: over ``DATAML_MAX_UPLOAD_MB``; API 413).
Scale-out (issue 18): ``runner="ray"`` / ``DATAML_JOB_RUNNER=ray`` runs each job as a Ray task
(``DATAML_RAY_ADDRESS``, ``DATAML_RAY_DASHBOARD_URL``); ``Job.ray_task_id`` / ``Job.ray_job_id`` (revision 0018);
``eng.jobs.terminate`` also takes the Ray task id; the file store on a shared directory (``DATAML_FILES_DIR``) or an
object store (``DATAML_FILES_URL``).
Job task functions receive ``(ctx, params)`` where ``ctx.workspace`` (settings, database, file store),
``ctx.services`` (the engine's services), ``ctx.job`` and ``ctx.actor`` are set.

This package is the public API: pages and ``ui/`` import only from ``core`` itself (an import contract in
pyproject.toml enforces it), so it re-exports every type the methods above take or return, the errors, and
the vocabularies a form offers (``COLUMN_TYPES``, ``PASSWORD_RULE``, ``PERMISSIONS``, ``USER_KINDS``,
``TABULAR``, ``MAX_REASONS``, ``METRICS``, ``CV_METRICS``, ``MODEL_FILE_ROLES``, ``ALGORITHMS``, ``PROBLEM_TYPES``,
``TRAINING_STATES``), ``safe_csv`` for downloads and ``quote`` for a user's value in a message (cut to 60
characters with "…", as the engine's own warnings quote values).
"""

from core.datasets import RowProblem, ValidationReport
from core.engine import Engine
from core.entities import (
    ALGORITHMS,
    ARTIFACT_KINDS,
    COLUMN_TYPES,
    DATASET_USAGES,
    DEPLOYMENT_STATES,
    DRIFT_METHODS,
    LAKE_SCHEMAS,
    MODEL_FILE_ROLES,
    MODEL_KINDS,
    PROBLEM_TYPES,
    TRAINING_STATES,
    Actor,
    AliasMove,
    Artifact,
    AttributionRun,
    AttributionSample,
    AuditEvent,
    ColumnSpec,
    Dataset,
    DatasetFile,
    DatasetVersion,
    Deployment,
    DriftCheck,
    DriftSettings,
    Evaluation,
    FeatureSpec,
    FileInfo,
    ForecastSpec,
    ImportanceInfo,
    InputField,
    InputWarning,
    Job,
    JobStatus,
    LakeColumn,
    LakeQuery,
    LakeSnapshot,
    LakeTable,
    Lineage,
    Model,
    ModelDetails,
    ModelMetadata,
    ModelSchema,
    ModelVersion,
    NumericStats,
    Operation,
    Outcome,
    Performance,
    Prediction,
    PredictionRecord,
    PredictionResult,
    RecipeInfo,
    ReferenceLibrary,
    ReferenceSample,
    RegisteredModel,
    Resource,
    Role,
    ServedPrediction,
    Template,
    Tenant,
    Training,
    TrainingCheck,
    TrainRequest,
    User,
)
from core.entities.problems import (
    ALGO_KINDS,
    COMPUTE_MODES,
    PROBLEM_METRICS,
    TASK_STATES,
    Algorithm,
    BoardEntry,
    Leaderboard,
    LearningProblem,
    Learnuplet,
    MiniBatch,
    Preduplet,
    ProblemData,
)
from core.errors import (
    Conflict,
    CoreError,
    InvalidInput,
    JobFailed,
    NotFound,
    PermissionDenied,
    Problem,
    TooLarge,
    Unauthenticated,
    quote,
)
from core.exports import safe_csv
from core.jobs.tasks import FAMILIES as JOB_FAMILIES
from core.jobs.tasks import family_of as job_family
from core.prep import FUNCTIONS as EXPRESSION_FUNCTIONS
from core.prep import STEPS as RECIPE_STEPS
from core.prep import Recipe
from core.prep.preview import StepPreview
from core.security.passwords import PASSWORD_RULE
from core.security.permissions import PERMISSIONS
from core.services.batch_scoring import MAX_REASONS
from core.services.dataset_files import DatasetUpload
from core.services.files import USER_KINDS, FilePreview
from core.services.forecast_summary import ForecastSummary
from core.services.importance import Importance
from core.services.inference import TABULAR
from core.services.model_summary import CV_METRICS, METRICS, ModelSummary
from core.services.tokens import TokenPair
from core.version import APP_VERSION

__all__ = [
    "ALGORITHMS",
    "ALGO_KINDS",
    "APP_VERSION",
    "ARTIFACT_KINDS",
    "COLUMN_TYPES",
    "COMPUTE_MODES",
    "CV_METRICS",
    "DATASET_USAGES",
    "DEPLOYMENT_STATES",
    "DRIFT_METHODS",
    "EXPRESSION_FUNCTIONS",
    "JOB_FAMILIES",
    "LAKE_SCHEMAS",
    "MAX_REASONS",
    "METRICS",
    "MODEL_FILE_ROLES",
    "MODEL_KINDS",
    "PASSWORD_RULE",
    "PERMISSIONS",
    "PROBLEM_METRICS",
    "PROBLEM_TYPES",
    "RECIPE_STEPS",
    "TABULAR",
    "TASK_STATES",
    "TRAINING_STATES",
    "USER_KINDS",
    "Actor",
    "Algorithm",
    "AliasMove",
    "Artifact",
    "AttributionRun",
    "AttributionSample",
    "AuditEvent",
    "BoardEntry",
    "ColumnSpec",
    "Conflict",
    "CoreError",
    "Dataset",
    "DatasetFile",
    "DatasetUpload",
    "DatasetVersion",
    "Deployment",
    "DriftCheck",
    "DriftSettings",
    "Engine",
    "Evaluation",
    "FeatureSpec",
    "FileInfo",
    "FilePreview",
    "ForecastSpec",
    "ForecastSummary",
    "Importance",
    "ImportanceInfo",
    "InputField",
    "InputWarning",
    "InvalidInput",
    "Job",
    "JobFailed",
    "JobStatus",
    "LakeColumn",
    "LakeQuery",
    "LakeSnapshot",
    "LakeTable",
    "Leaderboard",
    "LearningProblem",
    "Learnuplet",
    "Lineage",
    "MiniBatch",
    "Model",
    "ModelDetails",
    "ModelMetadata",
    "ModelSchema",
    "ModelSummary",
    "ModelVersion",
    "NotFound",
    "NumericStats",
    "Operation",
    "Outcome",
    "Performance",
    "PermissionDenied",
    "Prediction",
    "PredictionRecord",
    "PredictionResult",
    "Preduplet",
    "Problem",
    "ProblemData",
    "Recipe",
    "RecipeInfo",
    "ReferenceLibrary",
    "ReferenceSample",
    "RegisteredModel",
    "Resource",
    "Role",
    "RowProblem",
    "ServedPrediction",
    "StepPreview",
    "Template",
    "Tenant",
    "TokenPair",
    "TooLarge",
    "TrainRequest",
    "Training",
    "TrainingCheck",
    "Unauthenticated",
    "User",
    "ValidationReport",
    "job_family",
    "quote",
    "safe_csv",
]
