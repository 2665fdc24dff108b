"""The expression language: what it computes (run by DuckDB against pandas doing the same) and everything outside
its grammar refused in words, naming the place."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

from core import InvalidInput
from core.prep import FUNCTIONS, parse

pytestmark = pytest.mark.database_free  # no Engine, no database: the Postgres run of CI skips it

FRAME = pd.DataFrame(
    {
        "price": [10.0, 2.5, None, 8.0],
        "qty": [1, 4, 3, 0],
        "city": ["Paris", "lyon", None, "Nice"],
        "day": pd.to_datetime(["2024-01-31", "2024-02-29", "2024-03-01", "2024-12-25"]).date,
        "unit price": [1.0, 2.0, 3.0, 4.0],
    }
)


def evaluate(expression: str) -> list:
    parsed = parse(expression, FRAME.columns)
    with duckdb.connect() as con:
        con.register("t", FRAME)
        return [row[0] for row in con.execute(f"SELECT {parsed.sql} FROM t").fetchall()]  # noqa: S608


def test_arithmetic_comparisons_and_logic_match_pandas() -> None:
    values = evaluate("price * qty + 1")
    expected = (FRAME["price"] * FRAME["qty"] + 1).tolist()
    assert [v if v is not None else np.nan for v in values] == pytest.approx(expected, nan_ok=True)
    assert evaluate("qty >= 3 and not (city = 'Nice')") == [False, True, None, False]  # missing stays unknown
    assert evaluate("price is null or qty == 0") == [False, False, True, True]
    assert evaluate("price / qty") == [10.0, 0.625, None, None]  # division by zero is missing, not an error
    assert evaluate("`unit price` * 2") == [2.0, 4.0, 6.0, 8.0]
    assert evaluate("-qty % 3") == [-1, -1, 0, 0]


def test_text_and_date_functions() -> None:
    assert evaluate("upper(trim(city))") == ["PARIS", "LYON", None, "NICE"]
    assert evaluate("concat(city, '-', text(qty))") == ["Paris-1", "lyon-4", "-3", "Nice-0"]
    assert evaluate('starts_with(lower(city), "l")') == [False, True, None, False]
    assert evaluate("year(day) * 100 + month(day)") == [202401, 202402, 202403, 202412]
    assert evaluate("weekday(day)") == [d.isoweekday() for d in FRAME["day"]]
    assert evaluate("if(qty > 2, 'many', 'few')") == ["few", "many", "many", "few"]
    assert evaluate("days_between(day, day)") == [0, 0, 0, 0]
    assert evaluate("round(sqrt(qty), 2)") == [1.0, 2.0, 1.73, 0.0]
    assert evaluate("log(qty)")[-1] is None  # outside its domain: missing


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("price.__class__", "attribute access"),
        ("__import__('os')", "'__'"),
        ("import os", "Unknown column 'import'"),
        ("eval('1')", "Unknown function 'eval'"),
        ("price; DROP TABLE t", "Unexpected ';'"),
        ("price -- comment", "Unknown column 'comment'"),  # minus minus, never a SQL comment
        ("qty) OR (1=1", "Unexpected ')'"),
        ("read_csv('/etc/passwd')", "Unknown function 'read_csv'"),
        ("missing_column + 1", "Unknown column 'missing_column'"),
        ("lower(city, 1)", "takes 1 argument(s), not 2"),
        ("price +", "The expression stops at the end"),
        ("", "empty"),
        ("price is 3", "Expected 'null'"),
        ("'unclosed", 'Unexpected "\'"'),
        ("(" * 60 + "1" + ")" * 60, "nested too deeply"),
    ],
)
def test_anything_outside_the_grammar_is_refused_in_words(expression: str, message: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse(expression, FRAME.columns)
    assert message in refused.value.message
    assert refused.value.problems and refused.value.problems[0].field == "expression"


def test_quotes_in_text_and_names_cannot_escape_their_literal() -> None:
    parsed = parse("city = 'O''Brien\"; DROP'", ["city"])
    assert parsed.sql == "(\"city\" = 'O''Brien\"; DROP')" and parsed.columns == ("city",)
    tricky = 'a"b'
    assert parse(f"`{tricky}` + 1", [tricky]).sql == '("a""b" + 1)'


@settings(max_examples=300, deadline=None)
@given(hs.text(max_size=80))
def test_any_text_parses_to_sql_that_duckdb_binds_or_is_refused_in_words(expression: str) -> None:
    try:
        parsed = parse(expression, FRAME.columns)
    except InvalidInput as refused:
        assert refused.message and "Traceback" not in refused.message
        return
    assert set(parsed.columns) <= set(FRAME.columns)
    with duckdb.connect(config={"enable_external_access": False}) as con:
        con.register("t", FRAME)
        try:
            con.execute(f"SELECT {parsed.sql} FROM t").fetchall()  # noqa: S608
        except duckdb.Error as error:  # type errors (text * number) are DuckDB's to find; never a parse error
            assert "Parser Error" not in str(error), (expression, parsed.sql)


def test_every_function_has_a_known_arity_and_builds_sql() -> None:
    for name, (fewest, most, build) in FUNCTIONS.items():
        assert 0 <= fewest <= most, name
        assert build(["1"] * fewest)
