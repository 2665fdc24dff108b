"""Tables and figures of sample attribution: states with icons, the status per model and phase, ranked
families, each model's evidence as a table an analyst can read (and download), and one model's result as a
whole (``show_model_result``)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core import AttributionRun, AttributionSample, ReferenceSample
from ui.charts import bar
from ui.downloads import download_csv
from ui.numbers import byte_size

STATE_LABELS = {  # symbols every font has (emoji need an emoji font, which many servers lack)
    "pending": "○ pending",
    "running": "▶ running",
    "done": "✓ done",
    "failed": "✗ failed",
    "revoked": "■ revoked",
    "not_applicable": "– not applicable",
}
MODEL_TITLES = {
    "consensus": "Consensus of the models",
    "function_similarity": "Function similarity",
    "strings_similarity": "Strings similarity",
    "tlsh_similarity": "Whole-file similarity (TLSH)",
}
SCORE_MEANINGS = {
    "consensus": "Score: how strongly every model's ranking together points at each family (fitted on the reference "
    "library); it orders this list. The verdict's confidence is a separate estimate that the first family is right, "
    "fitted on the same library; under the library's threshold (in the verdict's explanation) the verdict is "
    "unknown family.",
    "function_similarity": "Score: the share of the sample's code (functions weighted by length and by how rare "
    "they are across families) that closely matches the family's functions.",
    "strings_similarity": "Score: cosine similarity between the file's strings and the family's string profile "
    "(strings shared by many families count little).",
    "tlsh_similarity": "Score: 1 at TLSH distance 0 (identical), falling to 0 at distance 250 (unrelated); "
    "from the family's nearest reference.",
}
TOP_FAMILIES = 10


def state_label(state: str) -> str:
    return STATE_LABELS.get(state, state)


def model_title(model: str) -> str:
    return MODEL_TITLES.get(model, model)


def samples_frame(samples: list[AttributionSample]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "name": s.name,
                "state": state_label(s.state),
                "submitted (UTC)": s.created_at,
                "by": s.owner,
                "size": byte_size(s.size),
                "sha256": s.id,
            }
            for s in samples
        ],
        columns=["name", "state", "submitted (UTC)", "by", "size", "sha256"],
    )


def status_frame(sample: AttributionSample) -> pd.DataFrame:
    """One row per model: the state of each phase and of the whole run, and why it stopped if it did."""
    return pd.DataFrame(
        [
            {
                "model": model_title(r.model),
                "version": r.model_version,
                "phase 1: extraction": state_label(r.phase_1),
                "phase 2: similarity search": state_label(r.phase_2),
                "state": state_label(r.state),
                "note": r.error or "",
                "job": r.job_id or "",
            }
            for r in sample.runs
        ],
        columns=["model", "version", "phase 1: extraction", "phase 2: similarity search", "state", "note", "job"],
    )


def family_chart(prediction_results: list[dict[str, Any]], model: str) -> go.Figure:
    """The best-scoring families (at most ``TOP_FAMILIES``), best on top, on the whole 0–1 scale with each score
    written out: an axis ending at the best score drew a 0.3 match as a full-width bar."""
    frame = pd.DataFrame(prediction_results[:TOP_FAMILIES])
    figure = bar(
        frame,
        x="family",
        y="score",
        horizontal=True,
        title=f"Families ranked by {model_title(model).lower()}",
        x_title="family",
        y_title="score (0–1)",
    )
    figure.update_traces(text=[f"{v:.2f}" for v in frame["score"]], textposition="outside", cliponaxis=False)
    figure.update_xaxes(range=[0, 1.08], tickvals=[0, 0.2, 0.4, 0.6, 0.8, 1.0])
    return figure


def _hex(value: int | None) -> str:
    return "" if value is None else f"0x{value:x}"


def evidence_frame(model: str, evidence: dict[str, Any], names: dict[str, str]) -> pd.DataFrame:
    """The model's evidence as rows: matched functions, or the nearest references. ``names`` maps reference
    sample ids (SHA-256) to their file names; a reference removed since the index was built shows its id."""

    def reference(sample_id: object) -> str:
        return names.get(str(sample_id), str(sample_id)[:12])

    if model == "function_similarity":
        frame = pd.DataFrame(
            [
                {
                    "address": _hex(m["address"]),
                    "size": m["size"],
                    "function": m.get("name") or "",
                    "best reference function": m.get("reference_name") or _hex(m.get("reference_address")),
                    "family": m["family"],
                    "similarity": m["similarity"],
                    "reference sample": reference(m.get("reference_sample")),
                }
                for m in evidence.get("matched_functions", [])
            ],
            columns=[
                "address",
                "size",
                "function",
                "best reference function",
                "family",
                "similarity",
                "reference sample",
            ],
        )
        return frame.drop(columns=["function"]) if not frame["function"].astype(bool).any() else frame
    columns = (
        ["reference sample", "family", "distance", "meaning"]
        if model == "tlsh_similarity"
        else ["reference sample", "family", "similarity"]
    )
    rows = [
        {"reference sample": reference(n["sample_id"]), **{k: v for k, v in n.items() if k != "sample_id"}}
        for n in evidence.get("nearest", [])
    ]
    return pd.DataFrame(rows, columns=columns)


def evidence_facts(model: str, evidence: dict[str, Any]) -> list[str]:
    """Short facts shown above the evidence table."""
    if model == "function_similarity":
        return [
            f"{evidence.get('functions_analysed', 0):,} functions analysed (boundaries from "
            f"{evidence.get('boundary_source', '?')}), {evidence.get('functions_compared', 0):,} long enough "
            f"to compare, {evidence.get('functions_matched', 0):,} matched",
            *evidence.get("notes", []),
        ]
    if model == "strings_similarity":
        shared = ", ".join(f'"{s}"' for s in evidence.get("shared_with_top_family", [])[:5])
        facts = [f"{evidence.get('strings', 0):,} distinct strings"]
        return facts + ([f"Shared with the top family: {shared}"] if shared else [])
    if model == "tlsh_similarity":
        return [
            f"TLSH digest {evidence.get('digest', '')}; {evidence.get('references_compared', 0):,} references "
            "compared (distance 0 = identical, above about 200 = unrelated)"
        ]
    return []


def timings_text(timings: dict[str, float]) -> str:
    names = {"phase_1": "extraction", "phase_2": "similarity search"}
    return " · ".join(f"{names.get(k, k)} {v:.2f} s" for k, v in timings.items())


def families_frame(families: pd.DataFrame) -> pd.DataFrame:
    """The service's family table with readable column names and sizes."""
    shown = families.assign(size=families["bytes"].map(byte_size))
    shown = shown.rename(columns={"analysed": "analysed samples", "last_added": "last added (UTC)"})
    return shown[["family", "samples", "analysed samples", "functions", "size", "last added (UTC)"]]


def references_frame(references: list[ReferenceSample]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "family": r.family,
                "name": r.name,
                "size": byte_size(r.size),
                "analysed": "yes" if r.analysed else "at the next rebuild",
                "functions": r.functions if r.functions is not None else None,
                "not readable by": "; ".join(f"{model_title(m)}: {why}" for m, why in r.notes.items()),
                "added (UTC)": r.created_at,
                "by": r.owner,
                "sha256": r.sha256,
            }
            for r in references
        ],
        columns=["family", "name", "size", "analysed", "functions", "not readable by", "added (UTC)", "by", "sha256"],
    )


def show_verdict(entry: dict[str, Any], key: str) -> None:
    """The consensus of the models: the family (or unknown family) with its confidence, which models agreed,
    and the ranked families; shown before the models' own results."""
    status = entry["status"]
    if status != "done":
        text = entry["error_details"] or "The verdict comes once every model has finished."
        (st.warning if status in ("failed", "revoked") else st.info)(text, icon=":material/hourglass_top:")
        return
    evidence = entry["explanation_results"]["evidence"]
    family = evidence["verdict"]
    known = family != "unknown family"
    (st.success if known else st.warning)(
        f"**{family if known else 'Unknown family'}** · confidence {evidence['confidence']:.0%}",
        icon=":material/verified:" if known else ":material/help:",
    )
    st.caption(entry["explanation_results"]["summary"])
    if entry["prediction_results"]:
        st.plotly_chart(family_chart(entry["prediction_results"], "consensus"), key=f"{key}_chart")
        st.caption(SCORE_MEANINGS["consensus"])


def show_model_result(name: str, run: AttributionRun, entry: dict[str, Any], names: dict[str, str], key: str) -> None:
    """One model's outcome: its explanation, ranked families, evidence and timings (or why there are none)."""
    explanation = entry["explanation_results"]
    st.caption(
        f"{model_title(run.model)} {run.model_version} · {state_label(run.state)}"
        + (f" · predicted {entry['predicted_at']}" if entry["predicted_at"] else "")
        + (f" · index revision {explanation['index_revision']}" if explanation.get("index_revision") else "")
        + (f" · job {run.job_id}" if run.job_id else "")
    )
    if run.state == "not_applicable":
        st.info(f"Not applicable: {entry['error_details']}.", icon=":material/block:")
        return
    if run.state in ("failed", "revoked"):
        (st.error if run.state == "failed" else st.warning)(entry["error_details"] or run.state)
        st.caption("To analyse the file again, delete the sample and submit the file anew.")
        return
    if run.state == "pending":
        st.info(
            "Waiting for a free worker (jobs wait their turn while the machine is busy)…",
            icon=":material/hourglass_top:",
        )
        return
    if run.state != "done":
        phase = "phase 2, similarity search" if run.phase_1 == "done" else "phase 1, extraction"
        st.info(f"Working on {phase}…", icon=":material/hourglass_top:")
        return
    st.info(explanation["summary"], icon=":material/lightbulb:")
    if entry["prediction_results"]:
        st.plotly_chart(family_chart(entry["prediction_results"], run.model), key=f"{key}_chart")
        st.caption(SCORE_MEANINGS.get(run.model, ""))
    evidence = explanation.get("evidence", {})
    for fact in evidence_facts(run.model, evidence):
        st.caption(fact)
    table = evidence_frame(run.model, evidence, names)
    if not table.empty:
        st.dataframe(table, hide_index=True, key=f"{key}_evidence", placeholder="")
        download_csv(
            table, f"{name}-{run.model}-evidence.csv", key=f"{key}_evidence_csv", label="Download evidence CSV"
        )
    st.caption(f"Timings: {timings_text(explanation.get('timings', {}))}")
