"""Tabular machine learning: schema, model selection, metrics, SHAP explanations, persistence, scoring.

Pure domain code (pandas in, dataclasses / frames out); services wire it to storage and jobs.

- ``infer_schema(df, target, features=None, id_column=None, column_types=None, problem_type="auto")
  -> ModelSchema``: feature kinds, categories, medians / modes; JSON via ``to_dict`` / ``from_dict``.
- ``infer_problem_type(y) -> (type, reason)``: classification or regression, with one sentence why.
- ``training_warnings(df, target, features=None, id_column=None, problem_type="auto") -> list[str]``:
  risks (few rows, imbalance, constant / id-like / leaking columns); raises ``InvalidInput`` for one class,
  an all-missing target, fewer than 20 rows or unknown column names.
- ``train_tabular(df, schema, time_budget_s=60, ctx=None, random_state=0, n_jobs=1) -> TrainOutcome``:
  cross-validated selection among gradient boosting, forests and linear models; refit; held-out metrics.
- ``holdout_metrics``, ``confusion_frame``, ``per_class_frame`` (precision, recall, f1, support per class),
  ``macro_precision_recall``, ``roc_curves``, ``pr_curves``, ``residuals_frame``: metrics and small plot frames
  from ``TrainOutcome.holdout``.
- ``explain_one(pipeline, schema, row, background=None) -> Explanation``: base + contributions = output;
  non-tree models are explained against ``background`` (training rows stored with the model, from
  ``background_sample(frame, schema)``), ``baseline`` says what the base value averages over.
- ``output_space(pipeline)``: what explanations measure (value, probability, log-odds, raw score).
- ``global_importance(pipeline, schema, sample, max_rows=2000, background=None) -> (importance, per-row SHAP)``;
  ``importance_rows(pipeline, max_rows)`` says how many rows it will explain (fewer for big forests).
- ``top_reasons(pipeline, schema, rows, predictions, k, background=None) -> DataFrame`` ``reason_1..k`` for every
  row (no row cap, unlike ``global_importance``): the columns that pushed each prediction most, with their SHAP value.
- ``explainer_for(pipeline, background) -> Explainer``: the SHAP explainer itself (tree / linear / agnostic).
- ``save_model`` / ``load_model`` (path) and ``model_to_bytes`` / ``model_from_bytes``: skops, trusted types only;
  ``library_versions()`` to record next to a saved model.
- ``unusual_inputs(schema, aligned) -> DataFrame`` (row, field, value, problem, message): values outside the
  training range, unseen and rare categories; ``unread_inputs(schema, raw, aligned)``: the same lines for values
  ``check_input`` could not read (scored as missing); ``input_warnings`` (typed, first row), ``warnings_column``,
  ``flag_notes``.
- ``check_input(schema, df, row_offset=0) -> (aligned frame, problems, warnings)`` and
  ``predict_frame(pipeline, schema, df) -> DataFrame`` (``prediction`` + ``probability_<class>``).
"""

from core.ml.explain import (
    Explainer,
    Explanation,
    background_sample,
    explain_one,
    explainer_for,
    output_space,
    top_reasons,
)
from core.ml.importance import global_importance, importance_rows
from core.ml.metrics import (
    confusion_frame,
    holdout_metrics,
    macro_precision_recall,
    per_class_frame,
    pr_curves,
    residuals_frame,
    roc_curves,
)
from core.ml.persistence import library_versions, load_model, model_from_bytes, model_to_bytes, save_model
from core.ml.predict import check_input, predict_frame
from core.ml.problem import infer_problem_type, training_warnings
from core.ml.ranges import flag_notes, input_warnings, unread_inputs, unusual_inputs, warnings_column
from core.ml.schema import FeatureSpec, ModelSchema, infer_schema
from core.ml.selection import TrainOutcome, train_tabular

__all__ = [
    "Explainer",
    "Explanation",
    "FeatureSpec",
    "ModelSchema",
    "TrainOutcome",
    "background_sample",
    "check_input",
    "confusion_frame",
    "explain_one",
    "explainer_for",
    "flag_notes",
    "global_importance",
    "holdout_metrics",
    "importance_rows",
    "infer_problem_type",
    "infer_schema",
    "input_warnings",
    "library_versions",
    "load_model",
    "macro_precision_recall",
    "model_from_bytes",
    "model_to_bytes",
    "output_space",
    "per_class_frame",
    "pr_curves",
    "predict_frame",
    "residuals_frame",
    "roc_curves",
    "save_model",
    "top_reasons",
    "train_tabular",
    "training_warnings",
    "unread_inputs",
    "unusual_inputs",
    "warnings_column",
]
