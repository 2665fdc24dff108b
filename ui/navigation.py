"""Which pages exist and who may see them. A page hidden here is convenience; services enforce."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import streamlit as st
from streamlit.navigation.page import StreamlitPage

from core import Actor

PAGES_DIR = Path(__file__).resolve().parent.parent / "pages"


@dataclass(frozen=True)
class PageSpec:
    file: str
    title: str
    icon: str
    section: str
    permission: str | None = None  # None: every signed-in user

    @property
    def url_path(self) -> str:
        return Path(self.file).stem


PAGES: list[PageSpec] = [
    PageSpec("home.py", "Home", ":material/home:", "Workbench"),
    PageSpec("templates.py", "Templates", ":material/table_chart:", "Data", "templates:read"),
    PageSpec("upload.py", "Upload data", ":material/upload_file:", "Data", "datasets:write"),
    PageSpec("datasets.py", "Datasets", ":material/dataset:", "Data", "datasets:read"),
    PageSpec("prepare.py", "Prepare", ":material/construction:", "Data", "datasets:read"),
    PageSpec("dataset_stats.py", "Statistics", ":material/query_stats:", "Data", "datasets:read"),
    PageSpec("files.py", "Files", ":material/folder:", "Data", "files:read"),
    PageSpec("datalake.py", "Datalake", ":material/database:", "Data", "datasets:read"),
    PageSpec("train.py", "Train", ":material/model_training:", "Models", "models:train"),
    PageSpec("models.py", "Models", ":material/neurology:", "Models", "models:read"),
    PageSpec("registry.py", "Registry", ":material/inventory_2:", "Models", "models:read"),
    PageSpec("problems.py", "Problems", ":material/leaderboard:", "Models", "models:read"),
    PageSpec("deployments.py", "Deployments", ":material/rocket_launch:", "Models", "deployments:read"),
    PageSpec("drift.py", "Drift", ":material/compare_arrows:", "Models", "deployments:read"),
    PageSpec("predict.py", "Predict one case", ":material/online_prediction:", "Predict", "inference:run"),
    PageSpec("batch.py", "Batch predictions", ":material/table_view:", "Predict", "inference:run"),
    PageSpec("forecast.py", "Forecast", ":material/timeline:", "Predict", "models:read"),  # running one: inference:run
    PageSpec("predictions.py", "Predictions log", ":material/receipt_long:", "Predict", "predictions:read"),
    PageSpec("samples.py", "Samples", ":material/bug_report:", "Attribution", "attribution:read"),
    PageSpec(
        "reference_library.py", "Reference library", ":material/library_books:", "Attribution", "attribution:read"
    ),
    PageSpec("jobs.py", "Jobs", ":material/pending_actions:", "Workspace", "jobs:read"),
    PageSpec("users.py", "Users & roles", ":material/group:", "Administration", "users:manage"),
    PageSpec("tenants.py", "Tenants", ":material/domain:", "Administration", "tenants:manage"),
    PageSpec("audit.py", "Audit log", ":material/history:", "Administration", "audit:read"),
    PageSpec("account.py", "My account", ":material/person:", "Workspace"),
    PageSpec("about.py", "About & health", ":material/info:", "Workspace"),
]


def visible_pages(actor: Actor) -> dict[str, list[StreamlitPage]]:
    """Sections → pages this actor may use, in the order above. A page the role lacks keeps its URL (hidden from
    the menu) and says so, instead of Streamlit's "Page not found" for a bookmark or link."""
    sections: dict[str, list[StreamlitPage]] = {}
    for spec in PAGES:
        if spec.permission is None or actor.can(spec.permission):
            home = spec.file == "home.py"
            page = st.Page(
                str(PAGES_DIR / spec.file),
                title=spec.title,
                icon=spec.icon,
                default=home,
                url_path=None if home else spec.url_path,
            )
        else:
            page = st.Page(_no_access, title=spec.title, url_path=spec.url_path, visibility="hidden")
        sections.setdefault(spec.section, []).append(page)
    return sections


def sign_in_pages(sign_in: Callable[[], None]) -> list[StreamlitPage]:
    """Before sign-in every page's URL shows the sign-in form; a page's identity is its URL, so the rerun after
    sign-in runs the page that was asked for, query parameters and all."""
    others = [st.Page(sign_in, title="Sign in", url_path=s.url_path) for s in PAGES if s.file != "home.py"]
    return [st.Page(sign_in, title="Sign in", url_path="sign-in", default=True), *others]


def _no_access() -> None:
    st.title("No access")
    st.warning(
        "You don't have access to this page. Your role does not include it; ask an administrator if you need it.",
        icon=":material/lock:",
    )
