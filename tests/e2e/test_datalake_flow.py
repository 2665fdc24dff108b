"""First admin → a dataset lands in the lake → Datalake page: the silver table, its stats and histogram → a query
→ its CSV downloaded."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import TIMEOUT, choose, click, fill, first_admin, open_page, shot, workspace

pytestmark = pytest.mark.e2e

CITIES = ("Paris", "Lyon", "Nice", "Lille", "Nantes")
ROWS = "city,people,area\n" + "".join(f"{CITIES[i % 5]},{100 + i * 7 % 250},{20 + i * 0.5}\n" for i in range(200))


def test_browse_a_silver_table_run_a_query_and_download_it(  # type: ignore[no-untyped-def]
    server, browser, shots: Path, tmp_path: Path
) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1600}, accept_downloads=True)
    page.goto(server.url)
    first_admin(page, demo=False)
    engine, chief = workspace(server.home)
    try:
        engine.datasets.upload(chief, name="city sizes", filename="cities.csv", data=ROWS.encode())
    finally:
        engine.close()

    open_page(page, "Datalake")
    expect(page.get_by_role("heading", name="Datalake")).to_be_visible(timeout=TIMEOUT)
    choose(page, "Table", "city_sizes")
    choose(page, "Column", "people")
    chart = page.get_by_test_id("stPlotlyChart")
    expect(chart.locator(".main-svg").first).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_text("Histogram of people")).to_be_visible(timeout=TIMEOUT)
    metrics = page.get_by_test_id("stMetric")
    expect(metrics.filter(has_text="Rows")).to_contain_text("200")
    expect(metrics.filter(has_text="Count")).to_contain_text("200")
    expect(metrics.filter(has_text="Format")).to_contain_text("iceberg")
    shot(page, shots, "01-silver-table-stats")

    fill(page, "SQL", "SELECT city, count(*) AS n, avg(people) AS mean_people FROM silver.city_sizes GROUP BY city")
    click(page, "Run query")
    expect(page.get_by_text("5 rows in")).to_be_visible(timeout=TIMEOUT)
    shot(page, shots, "02-query-result")
    with page.expect_download(timeout=TIMEOUT) as caught:
        page.get_by_role("button", name="Download CSV").last.click()
    saved = tmp_path / "query.csv"
    caught.value.save_as(saved)
    with saved.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted(r["city"] for r in rows) == sorted(CITIES) and {r["n"] for r in rows} == {"40"}

    fill(page, "SQL", "SELECT * FROM read_csv('/etc/passwd')")
    click(page, "Run query")
    expect(page.get_by_text("Table functions such as read_csv() are not allowed")).to_be_visible(timeout=TIMEOUT)
    shot(page, shots, "03-query-refused")
