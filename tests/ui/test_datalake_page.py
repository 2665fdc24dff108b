"""The Datalake page under AppTest: browse to a silver table, its columns, stats and histogram, snapshots and a
preview as of the first one, a query with its CSV, and a refused query as one sentence."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
from streamlit.testing.v1 import AppTest

from core import Actor, Engine


def _table(at: AppTest, *columns: str) -> pd.DataFrame:
    """The first table showing these columns (AppTest keeps no key for read-only tables)."""
    return next(d.value for d in at.dataframe if set(columns) <= set(d.value.columns))


CSV = b"city,people,area\nLyon,520,47.9\nNice,340,71.9\nParis,2100,105.4\nLille,230,34.8\n"


def test_browse_a_silver_table_and_query_it(
    app: Callable[..., AppTest], engine: Engine, admin: Actor, viewer: Actor
) -> None:
    dataset = engine.datasets.upload(admin, name="cities", filename="cities.csv", data=CSV)
    engine.dataset_files.add(admin, dataset.id, files=[("more.csv", b"city,people,area\nNantes,320,65.2\n")])
    at = app(viewer, "datalake.py")
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.selectbox(key="dl_table").value == "cities"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Rows"] == "5" and metrics["Snapshots"] == "2" and metrics["Format"] == "iceberg"
    assert list(_table(at, "column_name", "data_type", "note")["column_name"]) == ["city", "people", "area"]
    assert at.selectbox(key="dl_column").value == "people"  # the first numeric column
    assert metrics["Count"] == "5" and metrics["Median"] == "340" and metrics["Distinct"] == "5"
    assert at.get("plotly_chart")

    first = at.selectbox(key="dl_as_of").options[-1]
    at.selectbox(key="dl_as_of").select(first).run()
    assert len(_table(at, "city", "people", "area")) == 4  # the preview, as of the first snapshot

    at.text_area(key="dl_sql").input("SELECT city FROM silver.cities WHERE people > 400 ORDER BY city").run()
    at.button(key="dl_run").click().run()
    assert not at.error, [e.value for e in at.error]
    assert list(at.dataframe[-1].value["city"]) == ["Lyon", "Paris"]
    assert at.get("download_button")

    at.text_area(key="dl_sql").input("SELECT * FROM read_csv('/etc/passwd')").run()
    at.button(key="dl_run").click().run()
    assert [e.value for e in at.error] == [  # Markdown-escaped: the page shows read_csv(), not read<i>csv()
        "Table functions such as read\\_csv() are not allowed: query the lake's tables by name."
    ]


def test_an_empty_schema_says_what_fills_it(app: Callable[..., AppTest], viewer: Actor) -> None:
    at = app(viewer, "datalake.py")
    assert not at.exception
    assert any("No silver tables yet" in i.value for i in at.info)


def test_the_sql_example_follows_the_chosen_table_until_it_is_edited(
    app: Callable[..., AppTest], engine: Engine, admin: Actor, viewer: Actor
) -> None:
    for name in ("cities", "towns"):
        engine.datasets.upload(admin, name=name, filename=f"{name}.csv", data=CSV)
    at = app(viewer, "datalake.py")
    assert at.text_area(key="dl_sql").value == "SELECT * FROM silver.cities LIMIT 100"
    at.selectbox(key="dl_table").select("towns").run()
    assert at.text_area(key="dl_sql").value == "SELECT * FROM silver.towns LIMIT 100"
    at.text_area(key="dl_sql").input("SELECT count(*) FROM silver.towns").run()
    at.selectbox(key="dl_table").select("cities").run()
    assert at.text_area(key="dl_sql").value == "SELECT count(*) FROM silver.towns"  # the analyst's own query stays
