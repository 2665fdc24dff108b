"""Models registered from outside: skops files only, checked before anything is built; scored and explained with
SHAP on their numeric input columns.

A pickle (``.pkl``, ``.joblib``, or bytes that start like one) is refused with how to convert it and is never
opened: unpickling runs whatever code the file names. A skops file is loaded with an explicit list of trusted
types (skops' defaults plus ``persistence.TRUSTED_TYPES``), so a file naming any other type is refused unread."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import cached_property
from pathlib import PurePath
from typing import Any

import numpy as np
import pandas as pd

from core.errors import Conflict, InvalidInput, Problem
from core.ml.explain import BACKGROUND_ROWS, _Model
from core.ml.persistence import estimator_from_bytes

PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib", ".sav", ".pck", ".dill", ".cloudpickle")
ZIP_MAGIC = b"PK\x03\x04"  # a skops file is a zip archive
CONVERT = (
    "Pickle files are never opened here: loading one runs whatever code it names. Convert the model where it was "
    "trained with skops (`import skops.io as sio; sio.dump(model, 'model.skops')`) and upload model.skops."
)


def check_model_bytes(filename: str, head: bytes) -> None:
    """Refuse, before reading further, anything but a skops file: a pickle with how to convert it."""
    suffix = PurePath(filename).suffix.lower()
    if suffix in PICKLE_SUFFIXES or head[:1] == b"\x80":
        raise InvalidInput(CONVERT, [Problem("pickle refused", field="file", value=filename)])
    if not head.startswith(ZIP_MAGIC):
        raise InvalidInput(
            "A model file must be a skops file (a zip archive written by skops.io.dump). " + CONVERT,
            [Problem("not a skops file", field="file", value=filename)],
        )


def load_estimator(data: bytes) -> Any:
    """The fitted estimator of a skops file (trusted types only), refused unless it can ``predict``."""
    estimator = estimator_from_bytes(data)
    if not callable(getattr(estimator, "predict", None)):
        raise InvalidInput(
            "The skops file does not hold a fitted model (it has no predict method).",
            [Problem("not a model", value=type(estimator).__name__)],
        )
    return estimator


def describe(estimator: Any, features: tuple[str, ...]) -> dict[str, Any]:
    """What a version records of its estimator: type, input columns (its own names, else the declared ones),
    classes. Refuses a declared feature list of another length than the estimator was fitted on."""
    own = [str(f) for f in getattr(estimator, "feature_names_in_", [])]
    count = getattr(estimator, "n_features_in_", None)
    if features and count is not None and len(features) != int(count):
        raise InvalidInput(
            f"The model was fitted on {count} features but {len(features)} are declared in featurelist.",
            [Problem("feature count", field="featurelist", value=str(len(features)))],
        )
    names = own or list(features) or ([f"x{i}" for i in range(int(count))] if count is not None else [])
    classes = [v.item() if isinstance(v, np.generic) else v for v in getattr(estimator, "classes_", [])]
    return {"estimator": type(estimator).__name__, "features": names, "classes": classes}


@dataclass(frozen=True)
class External:
    """A loaded external model: its estimator, input columns in order, kind and (for SHAP) background rows."""

    estimator: Any
    features: tuple[str, ...]
    kind: str
    background: pd.DataFrame | None = None

    def matrix(self, rows: pd.DataFrame) -> Any:
        """The rows as the estimator reads them: numbers, named when it was fitted with names."""
        missing = [f for f in self.features if f not in rows.columns]
        if missing:
            raise InvalidInput(
                f"The input lacks {len(missing)} feature(s): {', '.join(missing)}.",
                [Problem("missing column", field=f) for f in missing],
            )
        numbers = rows[list(self.features)].apply(pd.to_numeric, errors="coerce")
        bad = [f for f in self.features if numbers[f].isna().any() and not rows[f].isna().all()]
        if bad:
            raise InvalidInput(
                f"Some inputs are not numbers: {', '.join(bad)}.", [Problem("not a number", field=f) for f in bad]
            )
        frame = numbers.astype("float64")
        return frame if hasattr(self.estimator, "feature_names_in_") else frame.to_numpy()

    def predict(self, rows: pd.DataFrame) -> tuple[list[Any], list[dict[str, float]] | None]:
        """Predictions (and class probabilities when the estimator gives them)."""
        X = self.matrix(rows)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # feature-name warnings of estimators fitted on arrays
            predicted = [_plain(v) for v in np.asarray(self.estimator.predict(X)).ravel()]
            probabilities = None
            if self.kind == "classification" and callable(getattr(self.estimator, "predict_proba", None)):
                proba = np.asarray(self.estimator.predict_proba(X))
                labels = [str(_plain(c)) for c in self.estimator.classes_]
                probabilities = [dict(zip(labels, map(float, row), strict=True)) for row in proba]
        return predicted, probabilities

    @cached_property
    def _explainer(self) -> _Model:
        """Built once per loaded model (the slow part); tree models need no background, others the data
        artefact's rows."""
        background = None
        if self.background is not None and len(self.background):
            sample = self.background.sample(n=min(BACKGROUND_ROWS, len(self.background)), random_state=0)
            background = np.asarray(self.matrix(sample), dtype="float64")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            try:
                return _Model(self.estimator, np.eye(len(self.features)), background, probability=False)
            except ValueError as exc:  # no background for a model that needs one
                raise Conflict(
                    "Explaining this model needs its training data: upload it as a data artifact.", details=str(exc)
                ) from exc

    def explain(self, rows: pd.DataFrame, predicted: list[Any]) -> tuple[np.ndarray, np.ndarray]:
        """SHAP values per row and feature for the predicted class (a regression: the value) and the base values;
        tree models need no background, others are explained against it (the ``data`` artefact)."""
        if self.kind not in ("classification", "regression"):
            raise InvalidInput(f"Explanations are available for classification and regression, not {self.kind}.")
        model = self._explainer
        X = np.asarray(self.matrix(rows), dtype="float64")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            values, base = model.values(X)
        slot, sign = np.zeros(len(X), dtype=int), np.ones(len(X))
        if model.classify:
            index = pd.Index([_plain(c) for c in self.estimator.classes_]).get_indexer(predicted)
            if values.shape[2] > 1:
                slot = index
            else:  # a binary margin explains the second class
                sign = np.where(index == 1, 1.0, -1.0)
        rows_at = np.arange(len(X))
        return values[rows_at, :, slot] * sign[:, None], base[rows_at, slot] * sign


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value
