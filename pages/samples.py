"""Submit files and follow their attribution: the state of every model and phase (refreshing by itself while
work runs), ranked families with an explanation and the evidence per model, downloads, revoke (all models or one),
delete a model's result, run failed or revoked models again, and delete."""

from __future__ import annotations

import streamlit as st

from core import AttributionRun, AttributionSample, CoreError
from ui import attribution_charts as charts
from ui.auth import current_actor
from ui.downloads import download, download_csv
from ui.engine import get_engine
from ui.errors import guard
from ui.numbers import byte_size

REFRESH_S = 2.0

engine, actor = get_engine(), current_actor()
st.title("Samples")
st.caption(
    "Submit files to see which family of the reference library each one most resembles, model by model. "
    "A sample is identified by the SHA-256 of its bytes: the same file again shows the earlier analysis."
)
for kind, text in st.session_state.pop("samples_outcome", []):
    (st.success if kind == "ok" else st.info if kind == "info" else st.error)(text)


def submit_files(uploads: list, known: set[str]) -> None:  # type: ignore[type-arg]
    """Submit each file; say per file whether it is new, already known, or refused (and why)."""
    outcome = []
    for upload in uploads:
        try:
            sample = engine.attribution.submit(actor, upload.name, upload.getvalue())
        except CoreError as exc:
            outcome.append(("error", f"{upload.name}: {exc.message}"))
            continue
        if sample.id in known:
            outcome.append(("info", f"{upload.name} was submitted before (as {sample.name}); showing that analysis."))
        else:
            outcome.append(("ok", f"{upload.name} submitted: {len(sample.runs)} models are analysing it."))
        st.session_state["samples_choice"] = sample.id
    st.session_state["samples_outcome"] = outcome
    st.session_state["samples_generation"] = st.session_state.get("samples_generation", 0) + 1


def show_sample(sample: AttributionSample) -> None:
    st.subheader(sample.name)
    st.markdown(
        f"**{charts.state_label(sample.state)}** · {byte_size(sample.size)} · submitted by "
        f"{sample.owner} at {sample.created_at:%Y-%m-%d %H:%M:%S} UTC  \nSHA-256 `{sample.id}`"
    )
    status = charts.status_frame(sample)
    st.dataframe(
        status,
        hide_index=True,
        key="samples_status",
        column_config={
            "note": st.column_config.TextColumn(width="large"),
            "job": st.column_config.TextColumn(width="small"),
        },
        placeholder="",
    )
    download_csv(status, f"{sample.name}-status.csv", key="samples_status_csv", label="Download status CSV")
    if not sample.finished:
        st.caption(f"Refreshing every {REFRESH_S:.0f} s while the models work.")
        if actor.can("attribution:submit") and st.button(
            "Revoke", key="samples_revoke", icon=":material/stop:", help="Stop the models still working on this sample."
        ):
            engine.attribution.revoke(actor, sample.id)
            st.session_state["samples_outcome"] = [("info", f"{sample.name} revoked.")]
            st.rerun()
    if actor.can("attribution:submit") and sample.rerunnable:
        missing = ", ".join(charts.model_title(m) for m in sample.rerunnable)
        st.caption(f"No result from {missing} (failed, revoked, or its result deleted).")
        if st.button("Run again", key="samples_rerun", icon=":material/replay:", help=f"Queue {missing} again."):
            engine.attribution.rerun(actor, sample.id)
            st.session_state["samples_outcome"] = [("ok", f"{sample.name}: {missing} queued again.")]
            st.rerun()
    verdict, *entries = engine.attribution.results(actor, sample.id)
    st.markdown("#### Verdict")
    charts.show_verdict(verdict, key="samples_verdict")
    st.markdown("#### Each model")
    tabs = st.tabs([f"{charts.model_title(r.model)} · {charts.state_label(r.state)}" for r in sample.runs])
    names = {r.sha256: f"{r.name} ({r.family})" for r in engine.attribution.list_references(actor)}
    for index, (tab, run, entry) in enumerate(zip(tabs, sample.runs, entries, strict=True)):
        with tab:
            charts.show_model_result(sample.name, run, entry, names, key=f"samples_model_{index}")
            if actor.can("attribution:submit"):
                model_action(sample, run, index)
    left, right = st.columns(2)
    with left:
        csv_bytes = engine.attribution.results_csv(actor, sample.id)
        download("Download results CSV", csv_bytes, f"{sample.name}-attribution.csv", "samples_results_csv", "text/csv")
    with right:
        json_bytes = engine.attribution.results_json(actor, sample.id)
        download(
            "Download results JSON",
            json_bytes,
            f"{sample.name}-attribution.json",
            "samples_results_json",
            "application/json",
        )


def model_action(sample: AttributionSample, run: AttributionRun, index: int) -> None:
    """One model alone: revoke it while it works, or delete its result (Run again makes it anew)."""
    title = charts.model_title(run.model)
    if not run.finished:
        label, done = f"Revoke {title}", "revoked"
    elif run.state in ("done", "not_applicable"):
        label, done = f"Delete the result of {title}", "result deleted"
    else:
        return
    if st.button(label, key=f"samples_model_action_{index}"):
        if run.finished:
            engine.attribution.delete_prediction(actor, sample.id, run.model)
        else:
            engine.attribution.revoke(actor, sample.id, run.model)
        st.session_state["samples_outcome"] = [("info", f"{sample.name}: {title} {done}.")]
        st.rerun()


def samples_view(live: bool) -> None:
    """The list and the chosen sample; refreshes by itself while any sample is being analysed."""

    @st.fragment(run_every=REFRESH_S if live else None)
    def view() -> None:
        with guard():
            samples = engine.attribution.list_samples(actor)
            if live and all(s.finished for s in samples):
                st.rerun()  # one full run shows everything finished and stops the refreshing
            st.subheader("All samples")
            listing = charts.samples_frame(samples)
            st.dataframe(listing, hide_index=True, key="samples_table", placeholder="")
            download_csv(listing, "samples.csv", key="samples_csv")
            by_id = {s.id: s for s in samples}
            if st.session_state.get("samples_choice") not in by_id:
                st.session_state["samples_choice"] = samples[0].id
            chosen = st.selectbox(
                "Sample",
                list(by_id),
                key="samples_choice",
                format_func=lambda i: f"{by_id[i].name} · {by_id[i].created_at:%Y-%m-%d %H:%M} · {i[:12]}",
            )
            show_sample(by_id[chosen])
            if actor.can("attribution:submit"):
                delete_sample(by_id[chosen])

    view()


def delete_sample(sample: AttributionSample) -> None:
    with st.expander("Delete this sample", icon=":material/delete:"):
        confirm = st.checkbox(f"Yes, delete {sample.name} and its results", key="samples_delete_confirm")
        if st.button("Delete sample", key="samples_delete", disabled=not confirm):
            engine.attribution.delete(actor, sample.id)
            st.session_state["samples_outcome"] = [("ok", f"{sample.name} deleted.")]
            st.session_state.pop("samples_choice", None)
            st.rerun()


with guard():
    samples = engine.attribution.list_samples(actor)
    if actor.can("attribution:submit"):
        with st.expander("Submit samples", icon=":material/upload:", expanded=not samples):
            library = engine.attribution.library(actor)
            if library is None:
                st.warning(
                    "The reference library has no index yet: add labeled samples and rebuild the index on "
                    "the Reference library page first.",
                    icon=":material/warning:",
                )
            uploads = st.file_uploader(
                "Files",
                accept_multiple_files=True,
                key=f"samples_upload_{st.session_state.get('samples_generation', 0)}",
                max_upload_size=engine.settings.max_upload_mb,
            )
            st.caption(
                "Any file: function similarity reads x86-64 ELF binaries; strings and whole-file similarity "
                "read anything. Archives are analysed as they are, not unpacked."
            )
            if st.button(
                "Submit",
                type="primary",
                key="samples_submit",
                icon=":material/play_arrow:",
                disabled=not uploads or library is None,
            ):
                submit_files(uploads or [], {s.id for s in samples})
                st.rerun()
    if not samples:
        st.info("No samples yet.")
        st.stop()
    samples_view(live=not all(s.finished for s in samples))
