"""Download buttons; every result table offers its CSV."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import safe_csv


def download_csv(df: pd.DataFrame, filename: str, key: str, label: str = "Download CSV") -> None:
    st.download_button(
        label, data=safe_csv(df), file_name=filename, mime="text/csv", key=key, icon=":material/download:"
    )
