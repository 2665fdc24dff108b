"""Download buttons; every result table offers its CSV, and every download gets a safe file name.

Downloads never rerun the page (``on_click="ignore"``): a rerun replaces a deferred file's id, so a second
click within moments of the first found nothing (MediaFileStorageError), and it redraws the page for nothing."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

import pandas as pd
import streamlit as st

from core import safe_csv

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def file_name(name: str) -> str:
    """A name without spaces or characters that browsers, shells and spreadsheets trip over:
    'Sales 2024 (EU) v2.csv' -> 'Sales-2024-EU-v2.csv'."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    cleaned = re.sub(r"[-.]*\.[-.]*", ".", _UNSAFE.sub("-", ascii_name))  # no '..', no '-.' before the suffix
    cleaned = re.sub(r"-{2,}", "-", cleaned).strip("-.")
    return cleaned or "download"


def download(
    label: str,
    data: bytes | str | Callable[[], bytes],
    filename: str,
    key: str,
    mime: str = "application/octet-stream",
    **options: object,
) -> None:
    """``st.download_button`` with a safe file name; ``data`` may be a callable, run only on click."""
    st.download_button(
        label,
        data=data,
        file_name=file_name(filename),
        mime=mime,
        key=key,
        icon=options.pop("icon", ":material/download:"),  # type: ignore[arg-type]
        on_click="ignore",
        **options,  # type: ignore[arg-type]
    )


def download_csv(df: pd.DataFrame, filename: str, key: str, label: str = "Download CSV") -> None:
    download(label, safe_csv(df), filename, key=key, mime="text/csv")
