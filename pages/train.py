"""Train a model: pick a validated dataset and the column to predict; several model families are tried within
the time budget and the best is kept. The training runs as a job with progress and cancel."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any, Literal

import streamlit as st

from core import ALGORITHMS, CoreError, Dataset, JobStatus, TrainingCheck, TrainRequest
from ui.auth import current_actor
from ui.engine import get_engine
from ui.errors import guard, show_error
from ui.jobs import job_panel
from ui.model_views import headline

PROBLEMS = {
    "auto": "Automatic",
    "classification": "Classification (a category)",
    "regression": "Regression (a number)",
    "forecast": "Forecast (a time series)",
}
KINDS = {"auto": "a model (type chosen automatically)", "classification": "a classifier", "regression": "a regressor"}
NONE = "(none)"
KEPT: Literal["session"] = "session"  # each choice outlives runs that do not draw its widget, and leaving the page
DATES, NUMBERS = ("date", "datetime"), ("integer", "float")

engine, actor = get_engine(), current_actor()
st.title("Train a model")
st.caption(
    "Choose a dataset and the column to predict. DataML Studio cross-validates several model families "
    "(gradient boosting, forests, linear models) within the time budget, keeps the best, and scores it "
    "once on rows it never saw."
)


def of_type(dataset: Dataset, types: tuple[str, ...]) -> list[str]:
    return [c for c in dataset.columns if dataset.column_types[c] in types] or dataset.columns


def default_name(dataset: Dataset) -> str:
    """Dataset, target and kind: a regressor of another column is another predictor, not a new version."""
    forecast = st.session_state.get("train_problem") == "forecast"
    target = st.session_state.get("fc_target" if forecast else "train_target")
    text = f"{dataset.name} {target} {'forecast' if forecast else 'model'}"
    return re.sub(r"[^\w .-]+", " ", text).strip()[:100]


def rename(dataset: Dataset, force: bool = False) -> None:
    """The default name follows the target and the problem type until the analyst types a name of their own."""
    if force or st.session_state.get("train_name") == st.session_state.get("train_name_default"):
        name = default_name(dataset)
        st.session_state["train_name"] = name
        st.session_state["train_name_default"] = name


def reset_features(columns: list[str]) -> None:
    """Every column but the target and the id column becomes a feature again."""
    excluded = {st.session_state.get("train_target"), st.session_state.get("train_id")}
    st.session_state.update(train_features=[c for c in columns if c not in excluded])


def new_target(dataset: Dataset) -> None:
    reset_features(dataset.columns)
    rename(dataset)


def choose_defaults(dataset: Dataset) -> None:
    """Column choices for ``dataset``, set through session state so the browser's widgets show them too."""
    st.session_state.update(
        train_target=dataset.columns[-1],
        train_id=NONE,
        fc_time=of_type(dataset, DATES)[0],
        fc_target=of_type(dataset, NUMBERS)[-1],
        fc_series=NONE,
    )
    reset_features(dataset.columns)
    rename(dataset, force=True)


def new_dataset(datasets: dict[str, Dataset]) -> None:
    choose_defaults(datasets[st.session_state["train_dataset"]])


def setting(label: str, chosen: object, guess: object) -> str:
    if chosen:
        return f"{label} {chosen}"
    return f"inferred {label} {guess}" if guess else f"{label} inferred"


def plan(params: dict[str, Any], inferred: TrainingCheck | None = None) -> str:
    """The job's parameters in one sentence, shown before and after submit so a choice that did not reach the
    job is visible; a forecast setting left empty shows the value the check inferred, when there is one."""
    target, name = f"**{params['target']}**", f"**{params['name']}**"
    if params["problem_type"] == "forecast":
        per = f" per {params['series_column']}" if params.get("series_column") else ""
        settings = ", ".join(
            setting(label, params[key], getattr(inferred, key, None))
            for key, label in (("frequency", "frequency"), ("season_length", "season length"), ("horizon", "horizon"))
        )
        return f"a forecast of {target} over {params['time_column']}{per} ({settings}), named {name}"
    features = params["features"]
    columns = "every other column" if features is None else ", ".join(features) or "no column"
    unless = f" except {params['id_column']}" if params.get("id_column") else ""
    only = f", {params['algorithm'].replace('_', ' ')} only" if params.get("algorithm") else ""
    return (
        f"{KINDS[params['problem_type']]} of {target} from {columns}{unless}{only}, "
        f"{params['time_budget_s']:g} s budget, named {name}"
    )


def checked(request: TrainRequest) -> TrainingCheck | CoreError:
    """``eng.training.check`` for this exact request, computed once per change (it reads the data)."""
    signature = repr(sorted(request.to_params().items()))
    last = st.session_state.get("train_check")
    if last is None or last[0] != signature:
        try:
            last = (signature, engine.training.check(actor, request))
        except CoreError as exc:
            last = (signature, exc)
        st.session_state["train_check"] = last
    return last[1]  # type: ignore[no-any-return]


def tabular_request(dataset: Dataset, name: str, problem: str) -> TrainRequest:
    columns = dataset.columns
    target = st.selectbox(
        "Column to predict (target)",
        columns,
        key="train_target",
        persist_state=KEPT,
        on_change=new_target,
        args=(dataset,),
    )
    others = [c for c in columns if c != target]
    id_column = st.selectbox(
        "Id column (excluded from training)",
        [NONE, *others],
        key="train_id",
        persist_state=KEPT,
        on_change=reset_features,
        args=(columns,),
        help="A row identifier: kept out of the model, since it predicts nothing.",
    )
    candidates = [c for c in others if c != id_column]
    features = st.multiselect(
        "Feature columns",
        candidates,
        key="train_features",
        persist_state=KEPT,
        help="The columns the model learns from; all other columns by default.",
    )
    numbers = [c for c in features if dataset.column_types[c] in NUMBERS]
    as_categories = st.multiselect(
        "Read as categories",
        numbers,
        key="train_categories",
        help="Number columns that are codes (regions, product ids …): each value is a category, not an amount.",
    )
    left, right = st.columns(2)
    algorithm = left.selectbox(
        "Algorithm",
        ["auto", *ALGORITHMS],
        key="train_algorithm",
        persist_state=KEPT,
        format_func=lambda a: "Automatic (every family)" if a == "auto" else a.replace("_", " ").capitalize(),
        help="Try every model family, or only the one you name.",
    )
    budget = right.number_input(
        "Time budget (seconds)",
        min_value=2,
        max_value=3600,
        value=60,
        step=5,
        key="train_budget",
        persist_state=KEPT,
        help="Model selection stops starting new candidates after this.",
    )
    explain = st.checkbox(
        "Compute feature importance (SHAP) after training", value=True, key="train_explain", persist_state=KEPT
    )
    return TrainRequest(
        dataset_id=dataset.id,
        name=name,
        target=target,
        problem_type=problem,
        features=None if features == candidates else tuple(features),
        id_column=None if id_column == NONE else id_column,
        time_budget_s=float(budget),
        explain=explain,
        algorithm=None if algorithm == "auto" else algorithm,
        column_types=tuple((c, "category") for c in as_categories if c in numbers),
    )


def forecast_request(dataset: Dataset, name: str) -> TrainRequest:
    st.caption(
        "Each series is cross-validated over 3 windows of the evaluation horizon with AutoETS, AutoARIMA, "
        "AutoTheta, AutoCES, SeasonalNaive and Naive (MSTL too for several seasons, intermittent-demand models "
        "for series with many zeros); the median, mean or error-weighted mean of ETS, ARIMA, Theta and CES is "
        "kept per series, or a single model when it is clearly better. Forecast on the Forecast page."
    )
    left, right = st.columns(2)
    years = [c for c in dataset.columns if dataset.column_types[c] == "integer"]  # whole-number years
    time_column = left.selectbox(
        "Time column", list(dict.fromkeys(of_type(dataset, DATES) + years)), key="fc_time", persist_state=KEPT
    )
    target = right.selectbox(
        "Value to forecast",
        of_type(dataset, NUMBERS),
        key="fc_target",
        persist_state=KEPT,
        on_change=rename,
        args=(dataset,),
    )
    series = left.selectbox(
        "Series column (several series in one table)", [NONE, *dataset.columns], key="fc_series", persist_state=KEPT
    )
    frequency = right.text_input(
        "Frequency (empty: inferred)",
        key="fc_frequency",
        persist_state=KEPT,
        placeholder="D, W, MS, h …",
        help="A pandas frequency: h hourly, D daily, W-SUN weekly (Sundays), MS month "
        "start, ME month end, QS quarter start, YS year start.",
    )
    season = left.number_input(
        "Season length (0: inferred)", min_value=0, max_value=1000, value=0, key="fc_season", persist_state=KEPT
    )
    horizon = right.number_input(
        "Evaluation horizon (0: automatic)",
        min_value=0,
        max_value=10_000,
        value=0,
        key="fc_horizon",
        persist_state=KEPT,
        help="Steps ahead scored in each cross-validation window; "
        "automatic: one season, at most a quarter of the shortest series.",
    )
    resample = st.checkbox("Put irregular timestamps on the frequency's grid", key="fc_resample", persist_state=KEPT)
    exogenous = st.multiselect(
        "Exogenous columns (optional)",
        [c for c in of_type(dataset, NUMBERS) if c not in (time_column, target, series)],
        key="fc_exogenous",
        help="Numeric columns known in advance (prices, promotions, holidays) that AutoARIMA and MSTL's trend "
        "use; forecasting then needs a dataset with their future values.",
    )
    return TrainRequest(
        dataset_id=dataset.id,
        name=name,
        target=target,
        problem_type="forecast",
        time_column=time_column,
        series_column=None if series == NONE else series,
        frequency=frequency.strip() or None,
        season_length=int(season) or None,
        horizon=int(horizon) or None,
        resample=resample,
        exogenous=tuple(exogenous),
    )


with guard():
    datasets = engine.datasets.list(actor, status="validated")
    if not datasets:
        st.info(
            "No dataset can be trained on yet: upload one on the Upload data page (datasets with unresolved "
            "problems are not offered)."
        )
        st.stop()
    by_id = {d.id: d for d in datasets}
    if st.session_state.get("train_dataset") not in by_id:  # first visit, or the dataset was deleted
        st.session_state["train_dataset"] = datasets[0].id
    dataset = by_id[
        st.selectbox(
            "Dataset",
            list(by_id),
            key="train_dataset",
            persist_state=KEPT,
            on_change=new_dataset,
            args=(by_id,),
            format_func=lambda i: f"{by_id[i].name} · {by_id[i].rows:,} rows",
        )
    ]
    if st.session_state.get("train_target") not in dataset.columns:  # first visit
        choose_defaults(dataset)
    left, right = st.columns(2)
    name = left.text_input(
        "Predictor name",
        key="train_name",
        persist_state=KEPT,
        help="Training again under the same name adds a new version.",
    )
    domain = right.text_input(
        "Domain (optional)",
        key="train_domain",
        persist_state=KEPT,
        placeholder="Churn, Fraud …",
        help="A label kept on the model; the Models page filters by it. Empty: the predictor's latest version's.",
    )
    problem = (
        st.segmented_control(
            "Problem type",
            list(PROBLEMS),
            format_func=lambda p: PROBLEMS[p],
            default="auto",
            key="train_problem",
            persist_state=KEPT,
            on_change=rename,
            args=(dataset,),
        )
        or "auto"
    )
    if problem == "forecast":
        st.divider()
        st.subheader("Forecast settings")
        request = forecast_request(dataset, name)
    else:
        request = tabular_request(dataset, name, problem)
    request = replace(request, domain=domain.strip() or None)

    verdict = checked(request)
    if isinstance(verdict, CoreError):
        show_error(verdict)
    else:
        what = PROBLEMS[verdict.problem_type].split(" (")[0].lower()
        prefix = "Automatic choice: " if problem == "auto" else ""
        st.info(
            verdict.reason if problem == "forecast" else f"{prefix}**{what}**. {verdict.reason}",
            icon=":material/lightbulb:",
        )
        for warning in verdict.warnings:
            st.warning(warning, icon=":material/warning:")
    st.markdown(
        f"The job will train: {plan(request.to_params(), None if isinstance(verdict, CoreError) else verdict)}."
    )
    if st.button(
        "Train",
        type="primary",
        icon=":material/model_training:",
        key="train_submit",
        disabled=isinstance(verdict, CoreError),
    ):
        st.session_state["train_job"] = engine.training.submit(actor, request).id

job_id = st.session_state.get("train_job")
if job_id:
    job = job_panel(engine, actor, job_id, key=f"train_{job_id[:8]}")
    if job:
        st.caption(f"Submitted: {plan(job.params)}.")
    model_id = str(job.result["model_id"]) if job and job.status == JobStatus.SUCCEEDED and job.result else None
    if model_id:
        with guard():
            model = engine.models.get(actor, model_id)
            chosen = model.details.chosen_family or "—"
            if model.problem_type == "forecast":
                st.write(
                    f"**{model.label}**: models chosen per series: {chosen}; {headline(model)} "
                    f"(cross-validation error) averaged over {model.details.series:,} series."
                )
            else:
                st.write(
                    f"**{model.label}**: best of the candidates was **{chosen}**; {headline(model)} on rows it "
                    "never saw."
                )
    if model_id and job and job.kind == "train_forecast":
        if st.button("Open the forecast", type="primary", icon=":material/timeline:", key="train_open"):
            st.switch_page("pages/forecast.py", query_params={"model": model_id})
    elif model_id and st.button("Open the model summary", type="primary", icon=":material/insights:", key="train_open"):
        st.switch_page("pages/models.py", query_params={"model": model_id})
