"""First admin → template from a file → upload a CSV with problems → report → download it → keep valid rows
→ preview → statistics with plots."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import TIMEOUT, choose, click, csv_file, fill, first_admin, open_page, shot, upload, wait_idle

pytestmark = pytest.mark.e2e

SAMPLE = "id,price,day,city\n" + "".join(
    f"{i},{i * 1.5},2024-01-{i:02d},{('Paris', 'Lyon', 'Nice')[i % 3]}\n" for i in range(1, 21)
)
# Row 3: price is text; row 5: id missing; row 8: 30 February. 10 rows, 7 usable.
PROBLEMS = (
    "id,price,day,city\n1,2.5,2024-02-01,Paris\n2,3.5,2024-02-02,Lyon\n3,lots,2024-02-03,Nice\n"
    "4,1.0,2024-02-04,Paris\n,2.0,2024-02-05,Lyon\n6,9.0,2024-02-06,Nice\n7,4.0,2024-02-07,Paris\n"
    "8,5.0,2024-02-30,Lyon\n9,6.5,2024-02-09,Nice\n10,7.5,2024-02-10,Paris\n"
)


def test_upload_with_problems_report_keep_valid_preview_statistics(  # type: ignore[no-untyped-def]
    server, browser, shots: Path, tmp_path: Path
) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1600}, accept_downloads=True)
    page.goto(server.url)
    first_admin(page, demo=False)

    open_page(page, "Templates")
    page.get_by_role("tab", name="New template").click()
    upload(page, "Make a template from a file (optional)", [csv_file("orders-sample.csv", SAMPLE)])
    click(page, "Propose columns from this file")
    fill(page, "Template name", "orders")
    shot(page, shots, "01-template-proposed")
    click(page, "Create template")
    expect(page.get_by_text("Template 'orders' created with 4 column(s).")).to_be_visible(timeout=TIMEOUT)

    open_page(page, "Upload data")
    choose(page, "Template", "orders")
    upload(page, "Data file", [csv_file("orders-march.csv", PROBLEMS)])
    expect(page.get_by_text("Validation report")).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_text("3 problem(s) found.")).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_test_id("stPlotlyChart").first).to_be_visible(timeout=TIMEOUT)
    shot(page, shots, "02-validation-report")

    with page.expect_download(timeout=TIMEOUT) as caught:
        page.get_by_role("button", name="Download the report (CSV)").click()
    report = tmp_path / "report.csv"
    caught.value.save_as(report)
    with report.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted((r["row"], r["column"], r["problem"]) for r in rows) == [
        ("3", "price", "wrong type"),
        ("5", "id", "missing required"),
        ("8", "day", "unparseable date"),
    ]

    page.get_by_text("Keep valid rows (drop the rows with problems)").click()
    click(page, "Store the dataset")
    expect(page.get_by_text("Dataset 'orders-march' stored: 7 rows, status validated.")).to_be_visible(timeout=TIMEOUT)

    open_page(page, "Datasets")
    expect(page.get_by_text("Rows 1–7 of 7.")).to_be_visible(timeout=TIMEOUT)
    shot(page, shots, "03-datasets-preview")

    click(page, "Statistics of this dataset")
    expect(page.get_by_role("heading", name="Statistics")).to_be_visible(timeout=TIMEOUT)
    charts = page.get_by_test_id("stPlotlyChart")
    expect(charts).to_have_count(2, timeout=TIMEOUT)
    for i in range(2):
        expect(charts.nth(i).locator(".main-svg").first).to_be_visible(timeout=TIMEOUT)
    wait_idle(page)
    shot(page, shots, "04-statistics")


def test_a_file_with_no_usable_row_is_an_error_before_storing(  # type: ignore[no-untyped-def]
    server, browser, shots: Path
) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1400})
    page.goto(server.url)
    first_admin(page, demo=False)
    open_page(page, "Templates")
    page.get_by_role("tab", name="New template").click()
    upload(page, "Make a template from a file (optional)", [csv_file("orders-sample.csv", SAMPLE)])
    click(page, "Propose columns from this file")
    fill(page, "Template name", "orders")
    click(page, "Create template")
    expect(page.get_by_text("Template 'orders' created with 4 column(s).")).to_be_visible(timeout=TIMEOUT)

    open_page(page, "Upload data")
    choose(page, "Template", "orders")
    bad = "id,price,day\n" + "".join(f"{i},about {i},{i:02d}/13/2024\n" for i in range(1, 9))
    upload(page, "Data file", [csv_file("orders-broken.csv", bad)])
    expect(page.get_by_text("No row is usable", exact=False)).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_text("Keep valid rows (drop the rows with problems)")).to_have_count(0)
    shot(page, shots, "01-no-usable-row")
