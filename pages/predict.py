"""Score one case in a form built from the model's schema, and see why (SHAP contributions per column).

The inputs keep their last values, so changing one and predicting again answers "what if"."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from core import InputField, Prediction
from ui import inference_charts as charts
from ui.auth import current_actor
from ui.downloads import download_csv
from ui.engine import get_engine
from ui.errors import guard
from ui.model_views import choose_tabular_model
from ui.numbers import readable

SPACES = {
    "value": "The bars add up from the base value to this prediction.",
    "probability": "The bars add up from the base value to this case's probability of **{c}**.",
    "log-odds": "The bars are in log-odds of **{c}**, from the base value to this case: positive values push "
    "towards {c}, negative ones away from it.",
    "raw score": "The bars are in the model's raw score for **{c}** (before it becomes a probability): positive "
    "values push towards {c}.",
}

EARLIEST, LATEST = date(1900, 1, 1), date(2200, 12, 31)  # "what if" may leave the training range

engine, actor = get_engine(), current_actor()
st.title("Predict one case")
st.caption(
    "Score one case. Inputs start at the training median or most frequent value (or the template's "
    "default); change any of them and predict again to see what if."
)


def input_widget(field: InputField, key: str) -> Any:
    """The widget for one model input, starting at its default."""
    where = "Range in the recipe's source" if field.source.startswith("source") else "Training range"
    help_text = f"Default: {field.source}." + (
        f" {where} {field.minimum} – {field.maximum}." if field.minimum is not None else ""
    )
    if field.kind == "numeric":
        if isinstance(field.default, int):
            return st.number_input(field.name, value=field.default, step=1, key=key, help=help_text)
        return st.number_input(field.name, value=field.default, format="%g", key=key, help=help_text)
    if field.kind == "categorical":
        options = list(field.options)
        index = options.index(field.default) if field.default in options else None
        return st.selectbox(
            field.name,
            options,
            index=index,
            key=key,
            help=help_text + " Type to try another value.",
            accept_new_options=True,
        )
    if field.kind == "boolean":
        return st.checkbox(field.name, value=bool(field.default), key=key, help=help_text)
    if field.kind == "datetime" and field.dtype == "date":
        return st.date_input(
            field.name, value=field.default, key=key, help=help_text, min_value=EARLIEST, max_value=LATEST
        )
    if field.kind == "datetime":
        return st.datetime_input(field.name, value=field.default, key=key, help=help_text)
    return st.text_input(field.name, value=field.default or "", key=key, help=help_text)


def show(result: Prediction, target: str, inputs: dict[str, Any]) -> None:
    value, proba = st.columns([1, 2])
    shown = readable(result.prediction) if isinstance(result.prediction, float) else str(result.prediction)
    value.metric(f"Predicted {target}", shown, help=f"{result.model_label}, in {result.duration_s * 1000:.0f} ms")
    if result.probabilities:
        value.caption(f"Probability {result.probabilities.get(str(result.prediction), 0.0):.1%}")
        proba.plotly_chart(charts.probabilities(result.probabilities), key="predict_proba_chart")
    for warning in result.warnings:
        st.warning(warning, icon=":material/warning:")
    if result.base_value is None or result.model_output is None:
        return
    st.subheader("Why")
    st.caption(
        SPACES.get(result.output_space or "value", "").format(c=result.explained_class)
        + f" The base value, {readable(result.base_value)}, is {result.baseline}."
    )
    style = st.segmented_control("Chart", ["Waterfall", "Bars"], default="Waterfall", key="predict_chart_style")
    space = result.output_space or "value"
    x_title = f"predicted {target}" if space == "value" else f"{space} of {result.explained_class}"
    title = f"Contributions to the {x_title}"
    if style == "Bars":
        figure = charts.contribution_bars(result.contributions, title=title, x_title=x_title, inputs=inputs)
    else:
        figure = charts.contribution_waterfall(
            result.base_value, result.contributions, result.model_output, title=title, x_title=x_title, inputs=inputs
        )
    st.plotly_chart(figure, key="predict_explanation_chart")
    table = pd.DataFrame(
        {
            "column": list(result.contributions),
            "input": [inputs.get(c, "") for c in result.contributions],
            "contribution": list(result.contributions.values()),
        }
    )
    table = table.sort_values("contribution", key=abs, ascending=False).astype({"input": str})
    with st.expander("Contributions as a table"):
        st.dataframe(table, hide_index=True, key="predict_contributions", placeholder="")
        st.caption(f"Base value {result.base_value:.6g} + contributions = {result.model_output:.6g}.")
        download_csv(table, "contributions.csv", key="predict_contributions_csv")


with guard():
    model = choose_tabular_model(engine, actor, key="predict_model")
    model_id = model.id
    recipe = model.details.recipe or {}
    raw = False
    if recipe and not recipe.get("refused"):
        shape = st.radio(
            "Enter the case as",
            ["Raw values", "Prepared values"],
            horizontal=True,
            key=f"predict_{model_id}_shape",
            help=f"The model was trained on data prepared by the recipe {recipe.get('recipe_name', '')!r}. Raw "
            "values (the columns the recipe reads) go through it first; prepared values are the model's own inputs.",
        )
        raw = shape != "Prepared values"
        if raw:
            st.caption(
                f"The recipe {recipe.get('recipe_name', '')!r} turns these values into the model's inputs, as it "
                "does for a raw file; they start at the median or most frequent value of the data it ran on. The "
                "explanation is per input of the model, after the recipe."
            )
    fields = engine.inference.form_fields(actor, model_id, raw=raw)
    with st.form("predict_form", border=True):
        columns = st.columns(3)
        values = {}
        prefix = f"predict_{model_id}_raw_" if raw else f"predict_{model_id}_"
        for i, field in enumerate(fields):
            with columns[i % 3]:
                values[field.name] = input_widget(field, key=f"{prefix}{field.name}")
        id_column = model.schema.id_column if model.schema else None
        if id_column:
            row_id = st.text_input(
                f"{id_column} (optional)",
                key=f"predict_{model_id}__row_id",
                help="Not used to predict: logged with the prediction, so the Predictions log can check it against "
                "the true value once a dataset holds it.",
            )
            if row_id.strip():
                values[id_column] = row_id.strip()
        explain = st.checkbox("Explain the prediction", value=True, key="predict_explain")
        submitted = st.form_submit_button("Predict", type="primary", icon=":material/play_arrow:")
    if submitted:
        st.session_state["predict_result"] = (
            engine.inference.predict_one(actor, model_id, values, explain=explain, raw=raw),
            {} if raw else values,  # raw values are not the prepared columns the contributions name
        )
    last = st.session_state.get("predict_result")
    if last is not None and last[0].model_id == model_id:
        show(last[0], model.target, last[1])
