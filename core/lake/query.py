"""The read-only query box: one SELECT over the tenant's own lake tables, run by DuckDB with file access
switched off and the configuration locked, under a row limit and a time limit.

The statement is checked before anything runs (one statement, a SELECT, no table functions, only
``bronze|silver|gold.<table>`` names the tenant has), so a refusal says why in one sentence; DuckDB's own
settings are the second wall: even a statement the checks missed cannot read a file, attach a database,
install or load an extension, or change a setting."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import duckdb
import pyarrow as pa

from core.errors import InvalidInput, Problem
from core.lake.catalog import SCHEMAS

MAX_ROWS = 10_000
TIME_LIMIT_S = 30.0
MAX_SQL = 20_000
TableRef = tuple[str, str]


def _refuse(message: str) -> InvalidInput:
    return InvalidInput(message, [Problem("refused", field="sql")])


def referenced_tables(sql: str, known: Callable[[str, str], bool]) -> set[TableRef]:
    """The ``(schema, table)`` pairs ``sql`` reads; InvalidInput for anything but one SELECT over known
    tables (``known(schema, table)``)."""
    if not sql.strip():
        raise _refuse("Write a SELECT statement.")
    if len(sql) > MAX_SQL:
        raise _refuse(f"The query is longer than {MAX_SQL:,} characters.")
    with duckdb.connect(config=_SAFE) as con:
        try:
            statements = con.extract_statements(sql)
        except duckdb.Error as exc:
            raise _refuse(f"The query does not parse: {_first_line(exc)}") from None
        if len(statements) != 1:
            raise _refuse("Run one statement at a time.")
        kind = statements[0].type
        if kind != duckdb.StatementType.SELECT:
            raise _refuse(
                f"Only reading queries (SELECT) are allowed, not {kind.name}: no COPY, ATTACH, INSTALL, LOAD, "
                "SET, PRAGMA or changes to data."
            )
        tree = json.loads(con.execute("SELECT json_serialize_sql(?)", [sql]).fetchone()[0])  # type: ignore[index]
    if tree.get("error"):
        raise _refuse(f"The query does not parse: {tree.get('error_message')}")
    ctes = {entry["key"] for node in _nodes(tree) for entry in (node.get("cte_map") or {}).get("map", [])}
    found: set[TableRef] = set()
    for node in _nodes(tree):
        if node.get("type") == "TABLE_FUNCTION":
            name = node.get("function", {}).get("function_name", "")
            raise _refuse(f"Table functions such as {name}() are not allowed: query the lake's tables by name.")
        if node.get("type") != "BASE_TABLE":
            continue
        schema, table = node.get("schema_name") or "", node.get("table_name") or ""
        if node.get("catalog_name") or (not schema and table not in ctes):
            raise _refuse(f"Name tables as schema.table, with schema {', '.join(SCHEMAS)} (not {table!r}).")
        if schema and not (schema in SCHEMAS and known(schema, table)):
            raise _refuse(f"There is no table {schema}.{table} among your tables.")
        if schema:
            found.add((schema, table))
    return found


def _nodes(tree: Any) -> Iterator[dict[str, Any]]:
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            yield node
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


_SAFE: dict[str, Any] = {
    "enable_external_access": False,
    "python_enable_replacements": False,
    "autoload_known_extensions": False,
    "autoinstall_known_extensions": False,
}


def run(
    sql: str, tables: dict[TableRef, pa.Table], max_rows: int = MAX_ROWS, time_limit_s: float = TIME_LIMIT_S
) -> tuple[pa.Table, bool]:
    """Run a checked ``sql`` over ``tables`` (Arrow, registered as ``schema.table`` views); at most
    ``max_rows`` rows, and whether more were left out. Interrupted after ``time_limit_s``."""
    with duckdb.connect(config={**_SAFE, "threads": 2, "memory_limit": "1GB"}) as con:
        for number, ((schema, table), data) in enumerate(sorted(tables.items(), key=lambda item: item[0])):
            con.register(f"_lake_{number}", data)
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
            # schema is one of SCHEMAS, the table name a quoted identifier
            con.execute(f"CREATE VIEW {schema}.{quoted(table)} AS SELECT * FROM _lake_{number}")  # noqa: S608
        con.execute("SET lock_configuration = true")
        timer = threading.Timer(time_limit_s, con.interrupt)
        timer.start()
        try:
            result = con.sql(sql).limit(max_rows + 1).to_arrow_table()
        except duckdb.InterruptException:
            raise _refuse(f"The query ran longer than {time_limit_s:g} seconds and was stopped.") from None
        except duckdb.Error as exc:
            raise _refuse(f"The query failed: {_first_line(exc)}") from None
        finally:
            timer.cancel()
    return result.slice(0, max_rows), result.num_rows > max_rows


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0][:300]
