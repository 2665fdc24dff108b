"""The model registry: every model trained here and every model registered from outside; search by name, kind
and tags; versions with notes, aliases and the history of their moves, metadata, files, model cards."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import DRIFT_METHODS, MODEL_KINDS, ModelVersion, RegisteredModel
from ui.auth import current_actor
from ui.downloads import download, download_csv
from ui.engine import get_engine
from ui.errors import guard
from ui.registry_views import models_frame, moves_frame, versions_frame

engine, actor = get_engine(), current_actor()
can_write = actor.can("models:register")
st.title("Registry")
st.caption("Models trained here are registered by their name; models trained elsewhere are registered below.")


def words(text: str) -> list[str]:
    return [w.strip() for w in text.split(",") if w.strip()]


def register_form() -> None:
    with st.expander("Register a model trained elsewhere", icon=":material/add:"), st.form("registry_register"):
        name = st.text_input("Name", key="registry_new_name")
        kind = st.selectbox("Kind", MODEL_KINDS, key="registry_new_kind")
        description = st.text_area("Description", key="registry_new_description")
        tags = st.text_input("Tags (comma-separated)", key="registry_new_tags")
        if st.form_submit_button("Register", type="primary"):
            with guard():
                model = engine.registry.register(actor, name, kind, {"description": description, "tags": words(tags)})
                st.query_params["registered"] = model.id
                st.success(f"{model.name} is registered: upload its model file under Files.")


def versions_tab(model: RegisteredModel) -> None:
    versions = engine.registry.versions(actor, model.id)
    if not versions:
        st.info("No version yet: upload a model file (skops) under Files.")
        return
    frame = versions_frame(versions)
    st.dataframe(frame, hide_index=True, key="registry_versions", placeholder="")
    download_csv(frame, f"{model.name}-versions.csv", key="registry_versions_csv")
    labels = {v.id: v.label for v in versions}
    chosen = st.selectbox(
        "Version (card and notes)", list(labels), format_func=labels.__getitem__, key="registry_version"
    )
    version = next(v for v in versions if v.id == chosen)
    download(
        "Model card (Markdown)",
        lambda: engine.registry.card(actor, version.id).encode(),
        f"model-card-{version.label}.md",
        key="registry_card",
        mime="text/markdown",
    )
    if can_write:
        with st.form("registry_notes"):
            description = st.text_area("Description", value=version.description, key="registry_version_description")
            tags = st.text_input("Tags", value=", ".join(version.tags), key="registry_version_tags")
            if st.form_submit_button("Save notes"):
                with guard():
                    engine.registry.describe_version(actor, version.id, description, words(tags))
                    st.toast("Saved.")
    aliases_view(model, versions)


def aliases_view(model: RegisteredModel, versions: list[ModelVersion]) -> None:
    st.subheader("Aliases")
    st.write(", ".join(f"**{a}** → v{v}" for a, v in model.aliases.items()) or "No alias yet.")
    if can_write:
        with st.form("registry_alias"):
            left, right = st.columns(2)
            alias = left.text_input("Alias", value="champion", key="registry_alias_name")
            number = right.selectbox("Version", [v.version for v in versions], key="registry_alias_version")
            if st.form_submit_button("Point the alias at this version"):
                with guard():
                    engine.registry.set_alias(actor, model.id, alias, int(number))
                    st.toast(f"{alias} → v{number}")
                    st.rerun()
    moves = moves_frame(engine.registry.alias_history(actor, model.id))
    st.dataframe(moves, hide_index=True, key="registry_history")
    download_csv(moves, f"{model.name}-alias-history.csv", key="registry_history_csv")


def metadata_tab(model: RegisteredModel) -> None:
    meta = model.metadata
    st.json(meta.to_dict(), expanded=False)
    if not can_write:
        return
    with st.form("registry_metadata"):
        description = st.text_area("Description", value=meta.description, key="registry_description")
        tags = st.text_input("Tags", value=", ".join(meta.tags), key="registry_tags")
        features = st.text_input("Features, in model order", value=", ".join(meta.features), key="registry_features")
        on = st.checkbox("Check drift by itself", value=meta.drift.enabled, key="registry_drift_on")
        left, middle, right = st.columns(3)
        method = left.selectbox(
            "Drift method", DRIFT_METHODS, index=DRIFT_METHODS.index(meta.drift.method), key="registry_drift_method"
        )
        every = middle.number_input("Every N operations", 1, 1_000_000, meta.drift.every, key="registry_drift_every")
        window = right.number_input("Rows compared", 10, 100_000, meta.drift.window, key="registry_drift_window")
        if st.form_submit_button("Save"):
            drift = {"enabled": on, "method": method, "every": int(every), "window": int(window)}
            changes = {"description": description, "tags": words(tags), "drift": drift}
            if model.origin == "external":
                changes["features"] = words(features)
            with guard():
                engine.registry.update(actor, model.id, changes)
                st.toast("Saved.")


def files_tab(model: RegisteredModel) -> None:
    files = engine.registry.artifacts(actor, model.id)
    listing = pd.DataFrame(
        [{"kind": a.kind, "name": a.name, "version": a.version, "size": a.size, "by": a.owner} for a in files]
    )
    st.dataframe(listing, key="registry_files", hide_index=True)
    if files:
        download_csv(listing, f"{model.name}-files.csv", key="registry_files_csv")
    if can_write and model.origin == "external":
        with st.form("registry_upload", clear_on_submit=True):
            kind = st.selectbox("Kind", ["model", "data", "code", "env"], key="registry_upload_kind")
            upload = st.file_uploader("File (model: a skops file)", key="registry_upload_file")
            if st.form_submit_button("Upload") and upload is not None:
                with guard():
                    engine.registry.upload(actor, model.id, kind, upload.name, upload.getvalue())
                    st.toast("Uploaded.")
                    st.rerun()


with guard():
    if can_write:
        register_form()
    everything = engine.registry.list(actor, limit=1000)
    name_filter, kind_filter, tag_filter = st.columns([2, 1, 2])
    name = name_filter.text_input("Name contains", key="registry_name")
    kind = kind_filter.selectbox("Kind", ["", *MODEL_KINDS], format_func=lambda k: k or "All", key="registry_kind")
    all_tags = sorted({t for m in everything for t in m.metadata.tags}, key=str.casefold)
    tags = tag_filter.multiselect("Tags (all must match)", all_tags, key="registry_tag_filter")
    models = engine.registry.list(actor, limit=1000, name=name or None, kind=kind or None, tags=tags)
    if not models:
        st.info("No registered model matches." if everything else "No model yet: train one or register one.")
        st.stop()
    table = models_frame(models)
    st.dataframe(table, hide_index=True, key="registry_table", placeholder="")
    download_csv(table, "registered-models.csv", key="registry_table_csv")
    by_id = {m.id: m for m in models}
    wanted = st.query_params.get("registered")
    chosen = st.selectbox(
        "Model",
        list(by_id),
        index=list(by_id).index(wanted) if wanted in by_id else 0,
        format_func=lambda i: f"{by_id[i].name} ({by_id[i].origin})",
        key="registry_model",
    )
    model = by_id[chosen]
    versions, metadata, files = st.tabs(["Versions & aliases", "Metadata", "Files"])
    with versions:
        versions_tab(model)
    with metadata:
        metadata_tab(model)
    with files:
        files_tab(model)
