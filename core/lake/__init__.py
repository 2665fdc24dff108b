"""The datalake (issue 20): Apache Iceberg tables through pyiceberg, in three schemas per tenant — ``bronze``
(every upload as read), ``silver`` (the validated, typed dataset) and ``gold`` (batch predictions per model) —
read into Arrow and queried with DuckDB."""

from core.lake.catalog import SCHEMAS, Lake, data_files
from core.lake.query import MAX_ROWS, TIME_LIMIT_S, referenced_tables, run
from core.lake.stats import distinct_count, histogram, numeric_stats
from core.lake.types import NUMERIC, lake_ready, sql_type, table_name

__all__ = [
    "MAX_ROWS",
    "NUMERIC",
    "SCHEMAS",
    "TIME_LIMIT_S",
    "Lake",
    "data_files",
    "distinct_count",
    "histogram",
    "lake_ready",
    "numeric_stats",
    "referenced_tables",
    "run",
    "sql_type",
    "table_name",
]
