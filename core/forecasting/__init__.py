"""Forecasting with statsforecast: long format, per-series model selection, calibrated intervals.

Pure domain code (frames in, dataclasses and frames out); services store a ``ForecastFit`` as JSON
(``fit.to_dict()``) next to a reference to the training data, and forecasting refits on that data.

Public API:
- ``to_long(df, time_column, target, series_column=None, resample=False, freq=None) -> DataFrame``:
  validate a user table into ``unique_id, ds, y`` (``InvalidInput`` lists every problem).
- ``infer_frequency(long) -> str``: the pandas offset alias of the data ("MS", "W-SUN", "QS", "h", ...).
- ``season_length_for(freq) -> int``: the natural season length of a frequency (12 for "MS", 7 for "D").
- ``fit_select(long, freq, season_length, horizon, n_windows=3, levels=(80, 95), ctx=None, n_jobs=1)
  -> ForecastFit``: cross-validate AutoETS, AutoARIMA, AutoTheta, SeasonalNaive, Naive (and
  intermittent-demand models for series with many zeros) and choose a model or an ensemble per series.
- ``forecast(long, fit, steps, series_ids=None, levels=(80, 95), n_jobs=1, ctx=None) -> DataFrame``:
  ``unique_id, ds, model, forecast, lo-80, hi-80, lo-95, hi-95`` continuing each series at its frequency.
- ``ForecastFit`` (``to_dict`` / ``from_dict``, ``chosen()``) and ``SeriesConfig``: the JSON-able result.
"""

from core.forecasting.fit import ForecastFit, SeriesConfig
from core.forecasting.predict import forecast
from core.forecasting.prepare import infer_frequency, season_length_for, to_long
from core.forecasting.selection import fit_select

__all__ = [
    "ForecastFit",
    "SeriesConfig",
    "fit_select",
    "forecast",
    "infer_frequency",
    "season_length_for",
    "to_long",
]
