"""Streamlit helpers shared by pages: engine handle, login gate, errors, downloads, charts, navigation."""
