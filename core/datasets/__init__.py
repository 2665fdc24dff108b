"""Datasets domain: uploaded files -> Arrow tables -> validated, typed tables, reports and statistics.

Pure functions over bytes, paths the service wrote, and Arrow tables; no storage, no permissions.

Public API:
- ``read_table(source, filename, *, sheet=None, max_columns=2000, columns=None) -> pa.Table``:
  CSV (delimiter and UTF-8 / BOM / cp1252 / Latin-1 / UTF-16 sniffed), .xlsx, Parquet (half floats become
  float32, unsigned 64-bit integers int64; durations, times, binary and nested columns are refused); raises
  ``InvalidInput`` with one clear sentence (and a problem list) for unusable files.
- ``list_sheets(source, filename) -> list[str]``: worksheet names of an .xlsx ([] for other formats).
- ``validate(table, columns=None, *, max_problems=10000) -> ValidationOutcome``: apply a template's
  types and defaults; ``.table`` (typed), ``.row_ok`` (usable rows), ``.report`` (``ValidationReport``).
- ``keep_valid(outcome) -> pa.Table``: the usable rows only.
- ``ValidationReport`` / ``RowProblem``: frozen report (rows, columns, file_columns, template_columns, problems
  with 1-based data row numbers and the expected type, problem_counts, defaults_applied, usable_rows,
  usable_fraction, notes; ``to_frame()``,
  ``summary()``, ``to_dict()`` / ``from_dict()``). ``PROBLEM_KINDS`` lists the six problem kinds.
- ``combine(reports, names)``: one report for a dataset made of several files (rows numbered across them).
- ``infer_columns(table, sample_rows=1000) -> list[ColumnSpec]``: a template proposed from a file (with the
  date format of numeric dates the sample decides); ``infer_dates(table)`` types text date columns.
- ``parse_timestamps`` / ``numeric_order`` / ``format_pattern`` (``core.datasets.dates``): text dates, day- or
  month-first by the data, or by a template's strftime-style date format.
- ``profile(table, *, top=3) -> pd.DataFrame``: one row of statistics per column (pandas conventions;
  ``infinite`` counts ±inf).
- ``histogram(table, column, bins=30)`` (infinite values left out and counted in ``attrs["infinite"]``; one
  distinct value is one bar), ``value_counts(table, column, top=20)``, ``correlation(table)``: small frames for
  plots.
- ``ARROW_TYPES``: the Arrow type each template type becomes after validation.
"""

from core.datasets.conversion import ARROW_TYPES
from core.datasets.inference import infer_columns, infer_dates
from core.datasets.profiling import correlation, histogram, profile, value_counts
from core.datasets.readers import list_sheets, read_table
from core.datasets.report import PROBLEM_KINDS, RowProblem, ValidationReport, combine
from core.datasets.validation import ValidationOutcome, keep_valid, validate

__all__ = [
    "ARROW_TYPES",
    "PROBLEM_KINDS",
    "RowProblem",
    "ValidationOutcome",
    "ValidationReport",
    "combine",
    "correlation",
    "histogram",
    "infer_columns",
    "infer_dates",
    "keep_valid",
    "list_sheets",
    "profile",
    "read_table",
    "validate",
    "value_counts",
]
