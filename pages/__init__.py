"""Streamlit pages, one per file, registered by app.py (a package so the import contracts can name it)."""
