"""The tenant's files: add with a kind, list, view (text, table, image), download by id, delete.

Each section has its own guard: a file that cannot be previewed can still be downloaded and deleted."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import USER_KINDS, FileInfo
from ui.auth import current_actor
from ui.downloads import download, download_csv
from ui.engine import get_engine
from ui.errors import guard

engine, actor = get_engine(), current_actor()
st.title("Files")
st.caption(
    "Files are stored by id; their names are only labels. Datasets keep their uploaded files here, and their data "
    "as Parquet (one file per version)."
)
if message := st.session_state.pop("files_outcome", None):
    st.success(message, icon=":material/check_circle:")

if actor.can("files:write"):
    with guard(), st.expander("Add a file", icon=":material/upload:"):
        generation = st.session_state.setdefault("files_generation", 0)
        uploaded = st.file_uploader(
            "File", key=f"files_upload_{generation}", max_upload_size=engine.settings.max_upload_mb
        )
        kind = st.selectbox("Kind", USER_KINDS, key="files_kind")
        clicked = st.button("Add file", type="primary", key="files_add", disabled=uploaded is None)
        if clicked and uploaded is not None:
            added = engine.files.add(actor, filename=uploaded.name, data=uploaded.getvalue(), kind=kind)
            st.session_state.update(
                files_outcome=f"File '{added.name}' added ({added.size:,} bytes).",
                files_generation=generation + 1,
                files_choice=added.id,
            )
            st.rerun()

info: FileInfo | None = None
with guard():
    files = engine.files.list(actor)
    if not actor.can("models:download"):
        st.caption("Model files are not listed: your role does not allow downloading models.")
    shown = st.selectbox("Kind", ["all", *sorted({f.kind for f in files})], key="files_filter")
    files = [f for f in files if shown in ("all", f.kind)]
    if not files:
        st.info("No files to show.")
        st.stop()
    listing = pd.DataFrame(
        [
            {
                "name": f.name,
                "kind": f.kind,
                "size (bytes)": f.size,
                "type": f.content_type,
                "owner": f.owner,
                "added (UTC)": f.created_at,
                "sha256": f.sha256,
                "id": f.id,
            }
            for f in files
        ]
    )
    st.dataframe(listing, hide_index=True, key="files_table", placeholder="")
    download_csv(listing, "files.csv", key="files_csv")

    by_id = {f.id: f for f in files}
    if st.session_state.get("files_choice") not in by_id:
        st.session_state["files_choice"] = files[0].id
    chosen = st.selectbox(
        "File", list(by_id), format_func=lambda i: f"{by_id[i].name} · {by_id[i].kind}", key="files_choice"
    )
    info = by_id[chosen]
if info is None:
    st.stop()

with guard():
    file_id = info.id
    download(
        f"Download {info.name}",
        lambda: engine.files.download(actor, file_id),
        info.name,
        "files_download",
        info.content_type,
    )
    preview = engine.files.preview(actor, file_id)
    if preview.kind == "table" and preview.table is not None:
        st.dataframe(preview.table, key="files_preview_table", placeholder="")
        download_csv(preview.table, f"{info.name}-preview.csv", key="files_preview_csv")
    elif preview.kind == "image" and preview.image is not None:
        st.image(preview.image, caption=info.name)
    elif preview.kind == "text":
        st.code(preview.text, language=None)
    if preview.note:
        st.caption(preview.note)

if actor.can("files:write"):
    with guard(), st.expander("Delete this file", icon=":material/delete:"):
        part = engine.dataset_files.of_file(actor, info.id)
        if part is not None:
            st.caption(
                f"This file is part of a dataset: deleting it makes a new version without its {part.rows:,} rows."
            )
        confirm = st.checkbox(f"Yes, delete '{info.name}'", key="files_delete_confirm")
        if st.button("Delete file", key="files_delete", disabled=not confirm):
            changed = engine.dataset_files.delete_file(actor, info.id)
            outcome = f"File '{info.name}' deleted."
            if changed is not None:
                outcome = (
                    f"File '{info.name}' removed from the dataset '{changed.name}' (now version {changed.version})."
                )
            st.session_state.update(files_outcome=outcome)
            st.session_state.pop("files_choice", None)
            st.rerun()
