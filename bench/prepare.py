"""Data-preparation benchmark: a 10-step recipe (two casts, filter, fill, two derived columns, date parts, join,
rare-category merge, aggregate) on 1,000,000 rows through ``core.prep.run`` (consecutive casts stored in one pass
with failure flags, filters and row-wise steps as views, joins and aggregates stored; every step's report), against
the named baseline "hand-written DuckDB SQL": the same steps as one query of CTEs over the same Arrow tables,
in the same run.

Targets (issue 17): ≤ 10 s and ≤ 1.3 × the hand-written SQL.

    python bench/prepare.py [--rows 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

sys.path[0] = str(Path(__file__).resolve().parents[1])  # repo root, not bench/

from core.prep import Aggregate, Cast, DateParts, Derive, Fill, Filter, Join, MergeRare, Recipe, run

RECIPE = Recipe(
    (
        Cast("day", "date", day_first=True),
        Cast("amount", "float", decimal_comma=True),
        Filter("amount > 0 and day is not null"),
        Fill("discount", "mean"),
        Derive("net", "amount * (1 - discount)"),
        DateParts("day", ("year", "month")),
        Join("customers", ("customer",), how="left"),
        MergeRare("product", min_share=0.01),
        Derive("big", "net > 500"),
        Aggregate(("region", "day_year", "day_month", "product"), (("net", "sum", "net"), ("big", "sum", "big"))),
    )
)

DIRECT = """
WITH a AS (SELECT * REPLACE (CAST(coalesce(try_strptime(trim(day), '%d/%m/%Y'), try_strptime(trim(day), '%d-%m-%Y'),
             try_strptime(trim(day), '%d.%m.%Y'), try_strptime(trim(day), '%d/%m/%y'),
             try_strptime(trim(day), '%d/%m/%Y %H:%M'), try_strptime(trim(day), '%d/%m/%Y %H:%M:%S')) AS DATE) AS day,
             TRY_CAST(replace(trim(amount), ',', '.') AS DOUBLE) AS amount) FROM sales),
b AS (SELECT * FROM a WHERE amount > 0 AND day IS NOT NULL),
c AS (SELECT * REPLACE (coalesce(discount, (SELECT avg(discount) FROM b)) AS discount) FROM b),
d AS (SELECT *, amount * (1 - discount) AS net, year(day) AS day_year, month(day) AS day_month FROM c),
e AS (SELECT d.*, r.region FROM d LEFT JOIN customers r USING (customer)),
f AS (SELECT * REPLACE (CASE WHEN product IN (SELECT product FROM e GROUP BY product
                                                HAVING count(*) < 0.01 * (SELECT count(*) FROM e))
                             THEN 'Other' ELSE product END AS product), net > 500 AS big FROM e)
SELECT region, day_year, day_month, product, sum(net) AS net, sum(big) AS big FROM f
GROUP BY ALL ORDER BY region, day_year, day_month, product
"""


def tables(rows: int, seed: int = 0) -> tuple[pa.Table, pa.Table]:
    rng = np.random.default_rng(seed)
    days = np.datetime64("2020-01-01") + rng.integers(0, 1500, rows).astype("timedelta64[D]")
    text_days = np.char.add(np.char.add(np.datetime_as_string(days, unit="D").astype("U10"), ""), "")
    day_first = [f"{d[8:10]}/{d[5:7]}/{d[:4]}" for d in text_days.tolist()]
    amounts = [f"{v:.2f}".replace(".", ",") for v in rng.gamma(2.0, 200.0, rows).tolist()]
    discount = rng.uniform(0, 0.3, rows)
    discount[rng.random(rows) < 0.1] = np.nan
    products = rng.choice([f"p{i}" for i in range(60)], rows, p=np.r_[np.full(20, 0.045), np.full(40, 0.1 / 40)])
    sales = pa.table(
        {
            "day": day_first,
            "amount": amounts,
            "discount": pa.array(discount, from_pandas=True),
            "customer": rng.integers(0, 5000, rows),
            "product": products,
        }
    )
    customers = pa.table({"customer": np.arange(4500), "region": rng.choice(["north", "south", "east", "west"], 4500)})
    return sales, customers


def direct(sales: pa.Table, customers: pa.Table) -> pa.Table:
    with duckdb.connect() as con:
        con.register("sales", sales)
        con.register("customers", customers)
        return con.sql(DIRECT).to_arrow_table()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sales, customers = tables(args.rows)
    ours, baseline = [], []
    for _ in range(args.repeat):
        start = time.perf_counter()
        prepared = run(RECIPE, sales, {"customers": customers})
        ours.append(time.perf_counter() - start)
        start = time.perf_counter()
        expected = direct(sales, customers)
        baseline.append(time.perf_counter() - start)
    same = prepared.table.num_rows == expected.num_rows and np.allclose(
        prepared.table.column("net").to_numpy(), expected.column("net").to_numpy()
    )
    print(
        f"{args.rows:,} rows, {len(RECIPE.steps)} steps -> {prepared.table.num_rows:,} rows; same result as SQL: {same}"
    )
    print("rows after each step: " + ", ".join(f"{r.rows_out:,}" for r in prepared.reports))
    failed, unmatched = prepared.reports[1].failed, prepared.reports[6].unmatched_rows
    print(f"cast failures: {failed:,}; join keys unmatched: {unmatched:,} rows")
    print(f"engine recipe:        best {min(ours):.2f} s of {args.repeat} (target ≤ 10 s)")
    print(f"hand-written DuckDB:  best {min(baseline):.2f} s")
    print(f"ratio engine ÷ hand-written SQL: {min(ours) / min(baseline):.2f} (target ≤ 1.3)")


if __name__ == "__main__":
    main()
