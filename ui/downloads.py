"""Download buttons; every result table offers its CSV.

Downloads never rerun the page (``on_click="ignore"``): a rerun replaces a deferred file's id, so a second
click within moments of the first found nothing (MediaFileStorageError), and it redraws the page for nothing."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.exports import safe_csv


def download_csv(df: pd.DataFrame, filename: str, key: str, label: str = "Download CSV") -> None:
    st.download_button(
        label,
        data=safe_csv(df),
        file_name=filename,
        mime="text/csv",
        key=key,
        icon=":material/download:",
        on_click="ignore",
    )
