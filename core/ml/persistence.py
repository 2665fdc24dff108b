"""Saving and loading pipelines with skops: nothing is unpickled, and a file may only contain the types our own
pipelines are made of (a tampered or foreign file is refused before any object is built).

A file holds the portable part of a pipeline only (scikit-learn types: see ``preprocessing.portable``), so it
loads without this product; ``preprocessing.runtime`` puts the engine steps back in front. A model with LightGBM
or XGBoost members also needs those libraries where it is loaded (``required_packages``)."""

from __future__ import annotations

import io
import json
import zipfile
from collections import OrderedDict
from collections.abc import KeysView
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
import skops
import skops.io as sio
from lightgbm import Booster, LGBMClassifier, LGBMRegressor
from sklearn.ensemble._hist_gradient_boosting.predictor import TreePredictor
from sklearn.pipeline import Pipeline
from sklearn.tree._tree import Tree
from sklearn.utils import Bunch
from xgboost import Booster as XGBBooster
from xgboost import XGBClassifier, XGBRegressor

from core.errors import InvalidInput, Problem
from core.ml.preprocessing import DatetimeParts, FrameCoercer, TextTokens, portable


def _qualified(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


# Types skops does not trust by default but our pipelines legitimately contain (our own classes: in files saved
# before the portable split; the ensemble's ``Bunch`` of members; LightGBM and XGBoost estimators, whose boosters
# skops stores as the libraries' own text / JSON model, not pickled); everything else is refused.
TRUSTED_TYPES: frozenset[str] = frozenset(
    _qualified(cls)
    for cls in (
        FrameCoercer,
        DatetimeParts,
        TextTokens,
        TreePredictor,
        Tree,
        np.dtype,
        Bunch,
        OrderedDict,
        LGBMClassifier,
        LGBMRegressor,
        Booster,
        XGBClassifier,
        XGBRegressor,
        XGBBooster,
    )
)
# Packages a model file needs besides scikit-learn, skops, pandas and numpy, by the module its types come from.
EXTRA_PACKAGES: dict[str, str] = {"lightgbm": "lightgbm", "xgboost": "xgboost-cpu"}


def library_versions() -> dict[str, str]:
    """Versions a saved model depends on (shown with the model; a different scikit-learn may not load it)."""
    names = ("scikit-learn", "shap", "skops", "numpy", "pandas", *EXTRA_PACKAGES.values())
    return {name: version(name) for name in names}


def required_packages(data: bytes) -> list[str]:
    """Packages a model file needs beyond scikit-learn, skops, pandas and numpy (LightGBM / XGBoost members)."""
    modules = {name.split(".")[0] for name in sio.get_untrusted_types(data=data)}
    return sorted(EXTRA_PACKAGES[m] for m in modules if m in EXTRA_PACKAGES)


def model_to_bytes(pipeline: Pipeline) -> bytes:
    """The skops serialization of the portable part of a fitted pipeline (deflated: an ensemble's schema.json is
    large)."""
    return skops_bytes(portable(pipeline))


def skops_bytes(obj: Any) -> bytes:
    """``skops.io.dumps`` (0.16) with the same archive but a compact ``schema.json``: skops writes it with
    ``indent=2``, which makes Python's json use its pure-Python encoder, about half the time of saving a forest.
    ``skops.io.load`` reads either."""
    from skops.io._utils import SaveContext, get_state

    buffer = io.BytesIO()
    with _IndexedZip(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        context = SaveContext(zip_file=archive)
        state = get_state(obj, context)
        context.clear_memo()
        state["protocol"] = context.protocol
        state["_skops_version"] = skops.__version__
        archive.writestr("schema.json", json.dumps(state))
    return buffer.getvalue()


class _IndexedZip(zipfile.ZipFile):
    """skops checks ``name in zip_file.namelist()`` before writing each array, and ``namelist`` builds a new list
    every time: saving was quadratic in the number of arrays (a 5-fold gradient boosting ensemble on 10 classes
    holds ~50,000; the checks took 32 of its 50 s). The archive's own name index answers in constant time."""

    def namelist(self) -> KeysView[str]:  # type: ignore[override]  # only ever asked ``in`` by skops
        return self.NameToInfo.keys()


def model_from_bytes(data: bytes) -> Pipeline:
    """Load a pipeline as stored, refusing files with types outside ``TRUSTED_TYPES`` or anything but a
    ``Pipeline``."""
    model = estimator_from_bytes(data)
    if not isinstance(model, Pipeline):
        raise InvalidInput(
            "The model file does not hold a pipeline.", [Problem("not a pipeline", value=type(model).__name__)]
        )
    return model


def estimator_from_bytes(data: bytes) -> Any:
    """Load any object a skops file holds (a registered model's estimator), refusing files with types outside
    skops' defaults and ``TRUSTED_TYPES`` before anything is built."""
    try:
        untrusted = sio.get_untrusted_types(data=data)
    except (zipfile.BadZipFile, KeyError, TypeError, ValueError) as exc:  # what skops raises on foreign bytes
        raise InvalidInput("The model file is not a valid skops file.", details=str(exc)) from exc
    unexpected = sorted(set(untrusted) - TRUSTED_TYPES)
    if unexpected:
        raise InvalidInput(
            "The model file contains types that are not allowed.",
            [Problem("untrusted type", value=name) for name in unexpected],
        )
    return sio.loads(data, trusted=list(untrusted))


def save_model(pipeline: Pipeline, path: str | Path) -> None:
    Path(path).write_bytes(model_to_bytes(pipeline))


def load_model(path: str | Path) -> Pipeline:
    return model_from_bytes(Path(path).read_bytes())
