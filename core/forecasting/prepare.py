"""Turn a user's table into statsforecast's long format ``unique_id, ds, y`` and infer its frequency.

Every check collects all offending rows before raising, so one upload shows every problem at once.
Row numbers in problems are 1-based positions in the input table (row 1 = first data row).
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Sequence

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset
from pandas.tseries.offsets import (
    BusinessDay,
    Day,
    Hour,
    Minute,
    MonthBegin,
    MonthEnd,
    QuarterBegin,
    QuarterEnd,
    Second,
    Week,
    YearBegin,
    YearEnd,
)

from core.errors import InvalidInput, Problem

MAX_LISTED = 20  # rows listed per kind of problem; the rest are counted in one extra problem
GRID_MULTIPLE, MIN_GRID = 100, 10_000  # how large a frequency's grid may grow (see _check_grid_size)
NANOSECOND_SPAN_YEARS = 250  # longer histories are kept in seconds: nanoseconds overflow after ~292 years
_PER_SECOND = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}

# Equivalent anchors that pandas reports in fiscal-year form; users expect the plain alias.
_PLAIN_ALIASES = {
    "QS-JAN": "QS",
    "QS-APR": "QS",
    "QS-JUL": "QS",
    "QS-OCT": "QS",
    "QE-MAR": "QE",
    "QE-JUN": "QE",
    "QE-SEP": "QE",
    "QE-DEC": "QE",
    "YS-JAN": "YS",
    "YE-DEC": "YE",
}


def to_long(
    df: pd.DataFrame,
    time_column: str,
    target: str,
    series_column: str | None = None,
    resample: bool = False,
    freq: str | None = None,
    exogenous: Sequence[str] = (),
) -> pd.DataFrame:
    """Validate ``df`` and return ``unique_id, ds, y`` (and the ``exogenous`` columns, numeric and complete)
    sorted by series and time.

    Raises ``InvalidInput`` listing unknown columns, unparseable or missing dates, non-numeric or
    missing target values, duplicate (series, time) pairs and irregular timestamps. With
    ``resample=True`` irregular series are put on the grid of ``freq`` (inferred when None) instead:
    values falling in one period are averaged and missing periods are linearly interpolated.
    Without a series column the single series is named after the target.

    ``ds`` is in nanoseconds, or in seconds (``datetime64[s]``) for dates before 1677 or after 2262 and
    for histories longer than ``NANOSECOND_SPAN_YEARS``: pandas' nanoseconds cannot represent those.
    """
    _check_columns(df, time_column, target, series_column, exogenous)
    long = _parsed(df, time_column, series_column, str(target), {"y": target, **{c: c for c in exogenous}})
    _check_duplicates(long, series_column or "series", time_column)
    long = long.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)
    if long.empty:
        raise InvalidInput("The table has no rows.", [Problem("no rows")])
    freq = _check_freq(freq) if freq else infer_frequency(long)
    _check_grid_size(long, freq)
    irregular = _irregular_problems(long, freq)
    if irregular and not resample:
        raise InvalidInput(
            f"{len(irregular)} series have irregular timestamps for frequency {freq!r}; fix them or choose resampling.",
            irregular,
        )
    long = long.drop(columns="row")
    return _resample(long, freq) if irregular else long


def future_values(
    df: pd.DataFrame, time_column: str, series_column: str | None, exogenous: Sequence[str], single_id: str
) -> pd.DataFrame:
    """``unique_id, ds`` and the exogenous columns of a table of future values (checked like ``to_long``;
    without a series column the rows belong to the single series ``single_id``)."""
    _check_columns(df, time_column, None, series_column, exogenous)
    return _parsed(df, time_column, series_column, single_id, {c: c for c in exogenous}).drop(columns="row")


def _parsed(
    df: pd.DataFrame, time_column: str, series_column: str | None, single_id: str, numbers: dict[str, str]
) -> pd.DataFrame:
    """``unique_id, ds, row`` and the numeric columns ``numbers`` (output name -> input column); every bad
    cell and duplicate (series, time) pair is reported at once."""
    ds, problems = _parse_dates(df[time_column], time_column)
    if series_column is None:
        ids = pd.Series(single_id, index=df.index)
    else:
        ids, id_problems = _parse_ids(df[series_column], series_column)
        problems += id_problems
    parsed = {}
    for name, column in numbers.items():
        parsed[name], number_problems = _parse_number(df[column], column, "target value" if name == "y" else "value")
        problems += number_problems
    if problems:
        raise InvalidInput(_summary(problems, "rows cannot be used"), problems)
    long = pd.DataFrame({"unique_id": ids.to_numpy(), "ds": _fitting_unit(ds).to_numpy()})
    for name, values in parsed.items():
        long[name] = values.to_numpy()
    long["row"] = np.arange(1, len(long) + 1)
    _check_duplicates(long, series_column or "series", time_column)
    return long


def infer_frequency(long: pd.DataFrame) -> str:
    """The pandas offset alias most series follow (e.g. "MS", "D", "h", "W-SUN", "QS").

    Uses ``pd.infer_freq`` per series and takes the most common answer; when no series is regular,
    falls back to the alias nearest the median spacing, so irregular data can still be resampled.
    """
    found: Counter[str] = Counter()
    spacings: list[np.ndarray] = []
    for _, ds in long.groupby("unique_id", sort=False)["ds"]:
        index = pd.DatetimeIndex(ds.sort_values())
        if len(index) >= 3:
            inferred = pd.infer_freq(index)
            if inferred:
                found[_PLAIN_ALIASES.get(inferred, inferred)] += 1
        spacings.append(np.diff(index.asi8) / _PER_SECOND[index.unit])
    if found:
        return found.most_common(1)[0][0]
    gaps = np.concatenate(spacings) if spacings else np.array([])
    gaps = gaps[gaps > 0]
    if gaps.size == 0:
        raise InvalidInput(
            "Cannot infer a frequency: every series needs at least two distinct timestamps.",
            [Problem("fewer than two distinct timestamps per series", field="ds")],
        )
    return _alias_for_spacing(float(np.median(gaps)), pd.DatetimeIndex(long["ds"]))


def season_length_for(freq: str) -> int:
    """Observations per natural cycle: a year for monthly/quarterly/weekly data, a week for daily,
    a day for sub-daily; 1 (no seasonality) for yearly or unusual multiples."""
    offset = to_offset(freq)
    n = max(int(offset.n), 1)
    per_cycle: float = 1
    if isinstance(offset, MonthBegin | MonthEnd):
        per_cycle = 12 / n
    elif isinstance(offset, QuarterBegin | QuarterEnd):
        per_cycle = 4 / n
    elif isinstance(offset, Week):
        per_cycle = 52 // n
    elif isinstance(offset, BusinessDay):
        per_cycle = 5 / n
    elif isinstance(offset, Day):
        per_cycle = 7 / n
    elif isinstance(offset, Hour | Minute | Second):
        per_cycle = 86_400 / (pd.Timedelta(offset).total_seconds())
    elif isinstance(offset, YearBegin | YearEnd):
        per_cycle = 1
    return int(per_cycle) if float(per_cycle).is_integer() and per_cycle >= 1 else 1


def _check_freq(freq: str) -> str:
    try:
        alias = to_offset(freq).freqstr
    except ValueError as exc:
        raise InvalidInput(f"Unknown frequency {freq!r}.", [Problem(str(exc), field="freq", value=freq)]) from exc
    return _PLAIN_ALIASES.get(alias, alias)


def _check_grid_size(long: pd.DataFrame, freq: str) -> None:
    """Refuse a frequency far finer than the data before building its grid (``ms`` for ``MS`` would need
    terabytes): the whole grid may hold ``GRID_MULTIPLE`` periods per row, or ``MIN_GRID`` per series, so one
    sparse series in a panel does not sink the rest."""
    spans = long.groupby("unique_id")["ds"].agg(["min", "max"])
    step = pd.date_range(spans["min"].min(), periods=2, freq=freq, unit=unit_of(long["ds"]))
    periods = float(((spans["max"] - spans["min"]) / (step[1] - step[0])).sum())
    if periods > max(GRID_MULTIPLE * len(long), MIN_GRID * len(spans)):
        raise InvalidInput(
            f"Frequency {freq!r} would cut {len(spans):,} series of {len(long):,} rows into {periods:,.0f} periods; "
            "choose a coarser frequency."
            + (" Aliases are case-sensitive: 'MS' is month start, 'ms' milliseconds." if freq == "ms" else ""),
            [Problem("frequency far finer than the data", field="freq", value=freq)],
        )


def _check_columns(
    df: pd.DataFrame, time_column: str, target: str | None, series_column: str | None, exogenous: Sequence[str] = ()
) -> None:
    chosen = [name for name in (time_column, target, series_column, *exogenous) if name is not None]
    problems = [Problem("unknown column", field=name) for name in chosen if name not in df.columns]
    if not problems and len(set(chosen)) < len(chosen):
        problems.append(
            Problem("the time, target, series and exogenous columns must be different", field=target or time_column)
        )
    if problems:
        raise InvalidInput("Some chosen columns cannot be used.", problems)


def _parse_dates(column: pd.Series, name: str) -> tuple[pd.Series, list[Problem]]:
    """Dates from strings, datetimes or whole-number years; timezones are converted to naive UTC.

    Years and ISO dates outside pandas' nanosecond calendar (before 1677, after 2262) are read in seconds."""
    values = column.reset_index(drop=True)
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        numbers = pd.to_numeric(values, errors="coerce")
        is_year = numbers.notna() & (numbers % 1 == 0) & numbers.between(1000, 2999)
        years = numbers.where(is_year, 1970).astype("int64").to_numpy()
        parsed = pd.Series((years - 1970).astype("datetime64[Y]").astype("datetime64[s]"))
        parsed[~is_year.to_numpy()] = pd.NaT
    elif isinstance(values.dtype, pd.DatetimeTZDtype):
        parsed = values.dt.tz_convert("UTC").dt.tz_localize(None)
    elif pd.api.types.is_datetime64_dtype(values):
        parsed = values
    else:
        parsed = _to_naive_datetime(values, None)  # one layout for the whole column: fast and unambiguous
        failed = values.notna() & parsed.isna()
        if failed.any():  # a second, slower pass for tables mixing several date layouts
            parsed[failed] = _to_naive_datetime(values[failed], "mixed")
        failed = values.notna() & parsed.isna()
        if failed.any():  # ISO dates outside the nanosecond calendar (1500-03-01, 1500-03, 1500)
            parsed = _with_iso_seconds(parsed, values, failed)
    problems = _row_problems(values.isna(), "missing date", name, values)
    problems += _row_problems(values.notna() & parsed.isna(), "unparseable date", name, values)
    return parsed, problems


def _to_naive_datetime(values: pd.Series, layout: str | None) -> pd.Series:
    with warnings.catch_warnings():  # "could not infer format": the next pass handles what this one cannot
        warnings.simplefilter("ignore", UserWarning)
        parsed = pd.to_datetime(values.astype("string"), errors="coerce", utc=True, format=layout)
    return pd.Series(parsed.dt.tz_localize(None), index=values.index)


def _with_iso_seconds(parsed: pd.Series, values: pd.Series, failed: pd.Series) -> pd.Series:
    def iso(text: object) -> np.datetime64:
        try:
            return np.datetime64(str(text).strip(), "s")
        except ValueError:
            return np.datetime64("NaT", "s")

    extra = np.array([iso(v) for v in values[failed]], dtype="datetime64[s]")
    if np.isnat(extra).all():
        return parsed
    out = parsed.astype("datetime64[s]")
    out[failed] = extra
    return out


def _fitting_unit(ds: pd.Series) -> pd.Series:
    """Nanoseconds when the dates and their span fit in them (what most code expects), else seconds."""
    present = ds.dropna()
    if present.empty:
        return ds
    low, high = present.min(), present.max()
    fits = pd.Timestamp.min.year < low.year and high.year < pd.Timestamp.max.year
    fits = fits and high.year - low.year <= NANOSECOND_SPAN_YEARS
    return ds.astype("datetime64[ns]" if fits else "datetime64[s]")


def unit_of(ds: pd.Series | pd.DatetimeIndex) -> str:
    """The resolution of a datetime column ("ns" or "s" here); ``date_range`` must be given it."""
    return str(np.datetime_data(ds.dtype)[0])


def to_dates(values: pd.Series) -> pd.Series:
    """ISO date strings (a CSV's or JSON's) back to datetimes, in seconds when nanoseconds cannot hold them."""
    try:
        return pd.to_datetime(values, format="ISO8601")
    except (pd.errors.OutOfBoundsDatetime, OverflowError, ValueError):
        return pd.Series(np.array([np.datetime64(str(v), "s") for v in values]), index=values.index)


def _parse_number(column: pd.Series, name: str, what: str) -> tuple[pd.Series, list[Problem]]:
    values = column.reset_index(drop=True)
    if pd.api.types.is_bool_dtype(values):
        values = values.astype(float)
    numbers = pd.to_numeric(values, errors="coerce").astype(float)
    problems = _row_problems(values.isna(), f"missing {what}", name, values)
    problems += _row_problems(values.notna() & numbers.isna(), "not a number", name, values)
    problems += _row_problems(np.isinf(numbers), "infinite value", name, values)
    return numbers, problems


def _parse_ids(column: pd.Series, name: str) -> tuple[pd.Series, list[Problem]]:
    values = column.reset_index(drop=True)
    return values.astype("string").astype(object), _row_problems(values.isna(), "missing series id", name, values)


def _row_problems(mask: pd.Series, problem: str, field: str, values: pd.Series) -> list[Problem]:
    """One problem per offending row (at most MAX_LISTED), plus one that counts the rest."""
    rows = np.flatnonzero(mask.to_numpy())
    listed = [
        Problem(problem, field=field, row=int(i) + 1, value=None if pd.isna(values.iloc[i]) else str(values.iloc[i]))
        for i in rows[:MAX_LISTED]
    ]
    if len(rows) > MAX_LISTED:
        listed.append(Problem(f"{problem}: {len(rows) - MAX_LISTED} more rows", field=field))
    return listed


def _check_duplicates(long: pd.DataFrame, series_field: str, time_field: str) -> None:
    dup = long.duplicated(["unique_id", "ds"], keep=False)
    if not dup.any():
        return
    problems = _row_problems(dup, "duplicate (series, time) pair", time_field, long["ds"].astype(str))
    pairs = long.loc[dup, ["unique_id", "ds"]].drop_duplicates()
    raise InvalidInput(
        f"{len(pairs)} (series, time) pairs appear more than once; "
        f"choose the right {series_field!r} column or aggregate the rows.",
        problems,
    )


def _irregular_problems(long: pd.DataFrame, freq: str) -> list[Problem]:
    """One problem per series whose timestamps are not exactly consecutive periods of ``freq``."""
    problems = []
    for uid, group in long.groupby("unique_id", sort=False):
        ds = pd.DatetimeIndex(group["ds"])
        grid = pd.date_range(ds[0], ds[-1], freq=freq, unit=unit_of(ds))
        if len(grid) == len(ds) and grid.equals(ds):
            continue
        off_grid = group.loc[~ds.isin(grid)]
        missing = grid.difference(ds)
        parts = []
        if len(missing):
            parts.append(f"{len(missing)} missing periods (first {missing[0].date()})")
        if len(off_grid):
            parts.append(f"{len(off_grid)} timestamps off the {freq} grid")
        row = int(off_grid["row"].iloc[0]) if len(off_grid) else None
        value = str(off_grid["ds"].iloc[0]) if len(off_grid) else str(missing[0])
        problems.append(Problem(f"series {uid!s}: " + ", ".join(parts), field="ds", row=row, value=value))
    return problems


def _resample(long: pd.DataFrame, freq: str) -> pd.DataFrame:
    parts = []
    for uid, group in long.groupby("unique_id", sort=False):
        values = group.drop(columns="unique_id").set_index("ds").resample(freq).mean().interpolate(method="linear")
        parts.append(values.reset_index().assign(unique_id=uid))
    return pd.concat(parts, ignore_index=True)[list(long.columns)]


def _summary(problems: list[Problem], tail: str) -> str:
    """ "Some rows cannot be used: 48 × unparseable date." — counting the rows past MAX_LISTED too."""
    counts: Counter[str] = Counter()
    for p in problems:
        what, _, more = p.problem.partition(": ")
        if p.row is not None:
            counts[what] += 1
        elif more.endswith(" more rows"):
            counts[what] += int(more.split()[0])
    listed = "; ".join(f"{n} × {what}" for what, n in counts.items())
    return f"Some {tail}: {listed}." if listed else f"Some {tail}."


def _alias_for_spacing(seconds: float, ds: pd.DatetimeIndex) -> str:
    """The standard alias whose period is closest to a typical spacing, anchored like the data."""
    day = 86_400.0
    if seconds < day * 0.9:
        for unit, alias in ((3600.0, "h"), (60.0, "min"), (1.0, "s")):
            if seconds >= unit * 0.9:
                n = max(round(seconds / unit), 1)
                return alias if n == 1 else f"{n}{alias}"
    days = seconds / day
    month_start = bool((ds.day == 1).mean() > 0.5)
    if days < 5:
        return "D" if round(days) <= 1 else f"{round(days)}D"
    if days < 15:
        return "W-" + pd.Series(ds.day_name().str[:3].str.upper()).mode().iloc[0]
    if days < 60:
        return "MS" if month_start else "ME"
    if days < 200:
        return "QS" if month_start else "QE"
    return "YS" if month_start else "YE"
