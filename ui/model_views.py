"""The parts of the Models page: the summary of one version and its feature importance."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import CV_METRICS, METRICS, TABULAR, Actor, Engine, Importance, Model, ModelSummary
from ui import model_charts as charts
from ui.downloads import download_csv
from ui.errors import guard
from ui.jobs import job_panel
from ui.numbers import readable


def _number(value: float | None) -> str:
    return "—" if value is None else readable(value)


def metrics_row(summary: ModelSummary) -> None:
    if not summary.metrics:
        st.info("This model has no held-out metrics.")
        return
    for column, (key, value) in zip(st.columns(len(summary.metrics)), summary.metrics.items(), strict=True):
        label, higher, meaning = METRICS.get(key, (key, True, ""))
        column.metric(label, _number(value), help=f"{meaning} {'Higher' if higher else 'Lower'} is better.")
    if summary.model.problem_type != "forecast":
        st.caption(
            f"Scored once on {summary.model.details.holdout_rows:,} held-out rows the model "
            "never saw during selection or fitting."
        )


def plots(summary: ModelSummary, target: str) -> None:
    if summary.confusion is not None:
        left, right = st.columns(2)
        left.plotly_chart(charts.confusion(summary.confusion), key="models_confusion")
        if summary.roc is not None and not summary.roc.empty:
            right.plotly_chart(
                charts.curves(
                    summary.roc,
                    x="fpr",
                    y="tpr",
                    score="auc",
                    diagonal=True,
                    title="ROC curve (held-out rows, area in brackets)",
                    x_title="false positive rate",
                    y_title="true positive rate",
                ),
                key="models_roc",
            )
        if summary.pr is not None and not summary.pr.empty:
            left.plotly_chart(
                charts.curves(
                    summary.pr,
                    x="recall",
                    y="precision",
                    score="average_precision",
                    diagonal=False,
                    x_title="recall",
                    y_title="precision",
                    title="Precision-recall curve (average precision in brackets)",
                ),
                key="models_pr",
            )
        if summary.roc is not None and summary.roc["class"].nunique() > 1:
            right.caption("Multiclass: one curve per class, that class against all others.")
    if summary.residuals is not None and not summary.residuals.empty:
        left, right = st.columns(2)
        left.plotly_chart(charts.predicted_vs_actual(summary.residuals, target), key="models_pred_actual")
        right.plotly_chart(charts.residuals(summary.residuals, target), key="models_residuals")


def leaderboard_table(board: pd.DataFrame, metric: str) -> pd.DataFrame:
    """The leaderboard as analysts read it: score columns first, blanks instead of "None", settings last."""
    if "cv_score" not in board.columns:  # e.g. a forecast leaderboard: shown as it is
        return board

    def text(values: pd.Series, digits: int) -> pd.Series:
        return values.map(lambda v: "—" if pd.isna(v) else f"{v:.{digits}f}")

    table = pd.DataFrame(
        {
            "rank": board["rank"].map(lambda r: "—" if pd.isna(r) else str(int(r))),
            "family": board["family"],
            f"CV {metric}": text(board["cv_score"], 4),
            "± (std)": text(board["cv_std"], 4),
            "folds": board["folds"],
            "fit time (s)": text(board["fit_time_s"].where(board["folds"] > 0), 2),
            "status": board["status"],
            "settings": board["params"],
        }
    )
    if "weight" in board.columns:  # leaderboards since the ensemble search: trial numbers and ensemble weights
        table.insert(1, "trial", board["trial"].map(lambda t: "—" if pd.isna(t) or t == 0 else f"#{int(t)}"))
        table.insert(3, "weight", text(board["weight"], 2))
    return table


def summary_view(engine: Engine, actor: Actor, summary: ModelSummary) -> None:
    model = summary.model
    for warning in summary.warnings:
        st.warning(f"Noticed before training: {warning}", icon=":material/warning:")
    metrics_row(summary)
    if summary.per_class is not None and not summary.per_class.empty:
        st.subheader("Per class")
        st.caption(
            "Precision: of the held-out rows predicted as the class, the share that are it. Recall: of its rows, "
            "the share predicted as it. Support: its held-out rows. The macro figures above are their means."
        )
        st.dataframe(summary.per_class, hide_index=True, key="models_per_class", placeholder="")
    plots(summary, model.target)
    st.subheader("Leaderboard")
    metric = CV_METRICS.get(summary.cv_metric, summary.cv_metric)
    st.caption(
        f"Every candidate tried, best first, by {metric} averaged over cross-validation folds of the "
        "training rows. Rank 1 became this model: an ensemble (its members follow it, with their weights) or the "
        "best single candidate; the fold models it was cross-validated with make it, without a refit."
    )
    board = summary.leaderboard
    st.dataframe(leaderboard_table(board, metric), hide_index=True, key="models_leaderboard", placeholder="")
    st.caption(
        "A candidate the time budget stopped before its last fold ranks after every complete one, however "
        'good its few folds looked; "not run" candidates did not fit in the budget.'
    )
    download_csv(board, f"{model.name}-v{model.version}-leaderboard.csv", key="models_leaderboard_csv")
    facts_and_lineage(summary)
    if not summary.holdout.empty:
        download_csv(
            summary.holdout,
            f"{model.name}-v{model.version}-holdout.csv",
            key="models_holdout_csv",
            label="Download the held-out predictions (CSV)",
        )


def facts_and_lineage(summary: ModelSummary) -> None:
    model = summary.model
    st.subheader("Training facts")
    st.table(summary.facts.set_index("fact"))  # a static table: long values wrap instead of being cut
    download_csv(summary.facts, f"{model.name}-v{model.version}-facts.csv", key="models_facts_csv")
    st.subheader("Lineage")
    st.caption("This version first, then the versions it continued from, with the data each was trained on.")
    st.dataframe(summary.lineage, hide_index=True, key="models_lineage", width="stretch", placeholder="")
    download_csv(summary.lineage, f"{model.name}-v{model.version}-lineage.csv", key="models_lineage_csv")


def importance_view(engine: Engine, actor: Actor, model: Model, found: Importance | None) -> None:
    """The importance ``found`` with the model's summary, and the form that (re)computes it."""
    if found is None:
        st.info("No feature importance yet." + (" Compute it below." if actor.can("models:train") else ""))
    else:
        when = found.computed_at.replace("T", " ")[:16]
        origin = "while training" if found.source == "training" else "by a job"
        st.caption(
            f"SHAP values of {found.rows:,} rows of the model's data (held-out rows included), computed {origin} "
            f"({when} UTC). "
            f"{found.meaning(model.schema.classes if model.schema else [])} "
            "Importance is the average size of that move; one-hot and date parts are summed back onto "
            "your original columns."
        )
        left, right = st.columns(2)
        left.plotly_chart(charts.importance_bars(found.table), key="models_importance_chart")
        order = list(found.table["feature"])
        if not found.values.empty:
            right.plotly_chart(charts.strip(found.values, order), key="models_shap_strip")
            feature = st.selectbox("Effect of one feature", order, key="models_dependence_feature")
            kind = model.schema.feature(feature).kind if model.schema else "numeric"
            st.plotly_chart(charts.dependence(found.values, feature, kind), key="models_dependence")
        download_csv(
            found.table,
            f"{model.name}-v{model.version}-importance.csv",
            key="models_importance_csv",
            label="Download the importance (CSV)",
        )
        download_csv(
            found.values,
            f"{model.name}-v{model.version}-shap-values.csv",
            key="models_values_csv",
            label="Download the SHAP value of every row (CSV)",
        )
    if not actor.can("models:train"):
        return
    with st.form("models_explain_form", border=True):
        rows = st.number_input(
            "Rows of training data to explain",
            min_value=10,
            max_value=50_000,
            value=2000,
            step=500,
            key="models_explain_rows",
            help="More rows: steadier averages, slower.",
        )
        left, right = st.columns(2)
        start = left.form_submit_button(
            "Compute feature importance" if found is None else "Recompute", icon=":material/calculate:"
        )
        drop = found is not None and right.form_submit_button("Delete the importance", icon=":material/delete:")
    with guard():
        if start:
            st.session_state["models_explain_job"] = engine.models.explain(actor, model.id, int(rows)).id
        if drop:
            engine.models.delete_importance(actor, model.id)
            st.rerun()
    job_id = st.session_state.get("models_explain_job")
    if job_id:
        job_panel(engine, actor, job_id, key=f"explain_{job_id[:8]}")


def headline(model: Model) -> str:
    """The first metric, e.g. "Accuracy 0.9667" (held-out rows) or "CV MASE 0.8132" (forecasts)."""
    key = next(iter(model.metrics), None)
    if key is None:
        return "—"
    prefix = "CV " if model.problem_type == "forecast" else ""
    return f"{prefix}{METRICS.get(key, (key, True, ''))[0]} {_number(model.metrics[key])}"


def overview(models: list[Model]) -> pd.DataFrame:
    """One row per version, grouped by predictor (newest version first), with its headline score."""
    return pd.DataFrame(
        [
            {
                "predictor": m.name,
                "version": m.version,
                "domain": m.domain,
                "status": m.status,
                "problem": m.problem_type,
                "target": m.target,
                "dataset": m.dataset_name,
                "score": headline(m),
                "continued from": m.details.parent_label or "",
                "trained (UTC)": m.created_at,
                "by": m.owner,
            }
            for m in models
        ]
    )


def inputs_table(model: Model) -> pd.DataFrame:
    """The model's input columns as the schema JSON describes them, one row each."""
    rows = [
        {
            "column": f.name,
            "kind": f.kind,
            "type": f.dtype,
            "allowed categories": ", ".join(f.categories)[:300],
            "typical (median / most frequent)": f.mode if f.mode is not None else f.median,
            "min": f.min,
            "max": f.max,
        }
        for f in (model.schema.features if model.schema else ())
    ]
    return pd.DataFrame(rows).astype(str).replace("None", "") if rows else pd.DataFrame()


def choose_tabular_model(engine: Engine, actor: Actor, key: str) -> Model:
    """The model picker of the scoring pages; stops the page with a hint when there is nothing to score with."""
    models = engine.models.list(actor, problem_types=list(TABULAR))
    if not models:
        st.info("No classification or regression model yet: train one first.")
        st.stop()
    by_id = {m.id: m for m in models}
    model_id = st.selectbox(
        "Model",
        list(by_id),
        key=key,
        format_func=lambda i: (
            f"{by_id[i].label} · {by_id[i].problem_type} of {by_id[i].target} · trained on {by_id[i].dataset_name}"
        ),
    )
    return by_id[model_id]
