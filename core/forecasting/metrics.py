"""Forecast error metrics: MASE (scale-free, comparable across series), sMAPE (percent) and RMSE."""

from __future__ import annotations

import numpy as np

METRICS = ("mase", "smape", "rmse")


def mase_scale(history: np.ndarray, season_length: int) -> float:
    """Mean absolute error of the in-sample seasonal naive forecast (lag 1 when the season does not fit
    or gives zero); 1.0 for a constant history so that MASE stays finite."""
    history = np.asarray(history, dtype=float)
    for lag in dict.fromkeys((season_length, 1)):
        if 0 < lag < len(history):
            scale = float(np.mean(np.abs(history[lag:] - history[:-lag])))
            if scale > 0:
                return scale
    return 1.0


def error_metrics(y: np.ndarray, yhat: np.ndarray, scale: float) -> dict[str, float]:
    """MASE, sMAPE (0-200 %) and RMSE of ``yhat`` against ``y``; NaN forecasts count as missing."""
    y = np.asarray(y, dtype=float)
    yhat = np.asarray(yhat, dtype=float)
    if not np.all(np.isfinite(yhat)):
        return {"mase": np.inf, "smape": np.inf, "rmse": np.inf, "mae": np.inf}
    err = y - yhat
    denom = np.abs(y) + np.abs(yhat)
    with np.errstate(divide="ignore", invalid="ignore"):
        smape = np.where(denom > 0, 200 * np.abs(err) / denom, 0.0)
    mae = float(np.mean(np.abs(err)))
    return {
        "mase": mae / scale,
        "smape": float(np.mean(smape)),
        "rmse": float(np.sqrt(np.mean(np.square(err)))),
        "mae": mae,
    }
