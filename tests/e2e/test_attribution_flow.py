"""First admin → reference library: two families of two binaries each → rebuild the index (a worker process)
→ Samples: submit a held-out binary, watch its phases complete, read the ranked result and its explanation →
submit a large library and revoke it while it is analysed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.core.test_attribution_models import package_elf_files
from tests.core.test_attribution_service import largest_library_elf
from tests.e2e.helpers import TIMEOUT, click, expand, fill, first_admin, open_page, shot, upload, wait_idle

pytestmark = pytest.mark.e2e


def test_library_rebuild_submit_result_and_revoke(server, browser, shots: Path) -> None:  # type: ignore[no-untyped-def]
    files = {family: package_elf_files(family, 3) for family in ("coreutils", "procps")}
    if any(len(paths) < 3 for paths in files.values()):
        pytest.skip("needs the coreutils and procps packages")
    big = largest_library_elf()
    page = browser.new_page(viewport={"width": 1400, "height": 1800})
    page.goto(server.url)
    first_admin(page, demo=False)

    open_page(page, "Reference library")
    for family, paths in files.items():
        fill(page, "Family", family)
        wait_idle(page)
        upload(page, "Files of this family", paths[1:])
        click(page, "Add to library")
        expect(page.get_by_text(f"Added 2 file(s) to family {family}")).to_be_visible(timeout=TIMEOUT)
    click(page, "Rebuild index")
    expect(page.get_by_text("Rebuild the attribution index: finished.")).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_text("Index revision")).to_be_visible(timeout=TIMEOUT)
    shot(page, shots, "01-reference-library")

    open_page(page, "Samples")
    held_out = files["procps"][0]
    upload(page, "Files", [held_out])
    click(page, "Submit")
    expect(page.get_by_text(f"{held_out.name} submitted: 3 models are analysing it.")).to_be_visible(timeout=TIMEOUT)
    shot(page, shots, "02-phases-running")
    explanation = page.get_by_text(re.compile(r"functions have close matches .* points to family procps"))
    expect(explanation).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_role("tab", name="Function similarity · ✓ done")).to_be_visible()
    expect(page.get_by_test_id("stPlotlyChart").first).to_be_visible(timeout=TIMEOUT)
    shot(page, shots, "03-ranked-result")

    expand(page, "Submit samples")
    upload(page, "Files", [big])
    click(page, "Submit")
    expect(page.get_by_text(f"{big.name} submitted")).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_role("button", name="Revoke", exact=True)).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_role("tab", name=re.compile(r"· ▶ running$")).first).to_be_visible(timeout=TIMEOUT)
    shot(page, shots, "04-large-sample-running")
    click(page, "Revoke")
    expect(page.get_by_text(f"{big.name} revoked.")).to_be_visible(timeout=TIMEOUT)
    expect(page.locator("strong", has_text="■ revoked")).to_be_visible(timeout=TIMEOUT)  # the sample's state
    expect(page.get_by_role("tab", name=re.compile(r"· ■ revoked$")).first).to_be_visible()
    expect(page.get_by_role("button", name="Revoke", exact=True)).to_have_count(0)
    shot(page, shots, "05-revoked")
