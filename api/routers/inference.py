"""Seed 004 §9: inference. One case (with its explanation when asked) and its form, batches of a dataset or an
uploaded file (a job), forecasts, a prediction by id, and the predictions log with true values learnt later."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, File, Query, UploadFile, status

from api.deps import ActorDep, EngineDep
from api.inference_schemas import (
    BatchIn,
    EvaluateIn,
    EvaluationOut,
    FieldOut,
    ForecastIn,
    ForecastOut,
    FormOut,
    PredictIn,
    PredictionEntry,
    PredictionList,
    PredictionOut,
    PredictionSubmitted,
    ResultOut,
)
from api.schemas import MAX_SKIP
from core import InvalidInput, Job, Problem

router = APIRouter(prefix="/inference", tags=["inference"])

TrainQuery = Annotated[str, Query(description="The model, or the training job that made it (UUID).")]


def _submitted(job: Job) -> PredictionSubmitted:
    return PredictionSubmitted(
        message="Batch prediction job submitted successfully.",
        prediction_id=job.id,
        job_id=job.id,
        job_status=job.status,
    )


@router.post("/", response_model=PredictionOut)
@router.post("/form-based-prediction", response_model=PredictionOut)
def predict(eng: EngineDep, actor: ActorDep, body: PredictIn) -> PredictionOut:
    """Seed §9.1: one case scored by the saved pipeline (logged). With ``explain`` the SHAP contributions per
    original column and the base value they start from. Values outside the training range, unseen categories and
    raw values the model's recipe could not cast (scored as missing) come back as ``input_warnings``; missing
    features and values of the wrong type are 422."""
    model = eng.models.of_training(actor, body.train_id)
    if body.target is not None and body.target != model.target:
        problem = Problem("not the model's target", field="target", value=body.target[:80])
        raise InvalidInput(f"{model.label} predicts {model.target!r}, not {body.target!r}.", [problem])
    prediction = eng.inference.predict_one(actor, model.id, body.features, explain=body.explain, raw=body.raw)
    return PredictionOut.of(body.train_id, model.target, prediction)


@router.get("/form-based-prediction", response_model=FormOut)
def prediction_form(
    eng: EngineDep,
    actor: ActorDep,
    train_id: Annotated[str, Query(alias="id", description="The model (UUID).")],
    raw: Annotated[
        bool, Query(description="A model trained on prepared data: the columns its recipe reads instead.")
    ] = False,
) -> FormOut:
    """Seed §9.3: the inputs of the model's prediction form, each with its type and starting value (``raw``: an
    addition, the raw columns of a model trained on prepared data; 422 for a model without a recipe)."""
    model = eng.models.of_training(actor, train_id)
    fields = eng.inference.form_fields(actor, model.id, raw=raw)
    return FormOut(
        id=train_id,
        model_id=model.id,
        problem_type=model.problem_type,
        target=model.target,
        id_column=model.schema.id_column if model.schema else None,
        headers=[FieldOut.of(f) for f in fields],
    )


@router.post("/batchPrediction", response_model=PredictionSubmitted, status_code=status.HTTP_202_ACCEPTED)
def batch_prediction(eng: EngineDep, actor: ActorDep, body: BatchIn) -> PredictionSubmitted:
    """Seed §9.2: score a dataset as a job. The result CSV (input columns, prediction, class probabilities,
    reasons, input warnings) is downloaded by file id once ``/inference/result`` says ``succeeded``."""
    model = eng.models.of_training(actor, body.train_id)
    return _submitted(
        eng.inference.predict_batch(actor, model.id, dataset_id=body.dataset_id, explain_top=body.explain_top)
    )


@router.post("/batchPrediction/upload", response_model=PredictionSubmitted, status_code=status.HTTP_202_ACCEPTED)
def batch_prediction_upload(
    eng: EngineDep,
    actor: ActorDep,
    train_id: TrainQuery,
    file: Annotated[UploadFile, File(description="A CSV, XLSX or Parquet file with the model's columns.")],
    explain_top: Annotated[int, Query(ge=0, le=3, description="Top reasons per row (SHAP), 0 for none.")] = 0,
) -> PredictionSubmitted:
    """Not in the seed: score an uploaded file instead of a dataset (kept as a data file of the tenant)."""
    model = eng.models.of_training(actor, train_id)
    job = eng.inference.predict_batch(
        actor, model.id, data=file.file, filename=file.filename or "upload", explain_top=explain_top
    )
    return _submitted(job)


@router.post("/forecast", response_model=ForecastOut)
def forecast(eng: EngineDep, actor: ActorDep, body: ForecastIn) -> ForecastOut:
    """Seed §9.4: ``steps`` periods ahead for each chosen series with calibrated intervals (logged; the CSV is kept
    as a result file). ``dataset_id`` is a dataset of newer observations to forecast from without retraining."""
    model = eng.models.of_training(actor, body.train_id)
    frame = eng.forecasts.forecast(
        actor,
        model.id,
        body.steps,
        body.unique_id if isinstance(body.unique_id, list) or body.unique_id is None else [body.unique_id],
        body.levels,
        body.future_dataset_id,
        frequency=body.frequency,
        history_dataset_id=body.dataset_id,
    )
    frequency = model.forecast.frequency if model.forecast else ""
    return ForecastOut.of(body.train_id, model.id, frequency, body.steps, frame)


@router.get("/result", response_model=ResultOut)
def prediction_result(
    eng: EngineDep,
    actor: ActorDep,
    prediction_id: Annotated[
        str, Query(description="A batch or forecast job's id (from submission on), or a predictions-log entry's id.")
    ],
) -> ResultOut:
    """Seed §9.5: the state of a prediction and, once done, its result file id, rows and summary."""
    return ResultOut.of(eng.predictions.result(actor, prediction_id))


@router.get("/predictions", response_model=PredictionList)
def predictions(
    eng: EngineDep,
    actor: ActorDep,
    train_id: Annotated[str | None, Query(description="Only this model's (or training job's) entries.")] = None,
    kind: Annotated[Literal["form", "batch", "forecast"] | None, Query()] = None,
    user: Annotated[str | None, Query(description="Only this username's.")] = None,
    date_from: Annotated[date | datetime | None, Query(description="From this day or moment (UTC).")] = None,
    date_to: Annotated[date | datetime | None, Query(description="Up to this day (included) or moment (UTC).")] = None,
    skip: Annotated[int, Query(ge=0, le=MAX_SKIP)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> PredictionList:
    """Seed §9.6: the predictions log, newest first, paged. ``accuracy`` (and ``outcome``) appear once a labelled
    dataset has given the true values (``POST /inference/predictions/evaluate``)."""
    model_id = eng.models.of_training(actor, train_id).id if train_id else None
    entries = eng.predictions.list(actor, model_id, kind, user, date_from, date_to, offset=skip, limit=limit)
    total = eng.predictions.count(actor, model_id, kind, user, date_from, date_to)
    return PredictionList(total=total, skip=skip, limit=limit, data=[PredictionEntry.of(e) for e in entries])


@router.post("/predictions/evaluate", response_model=EvaluationOut)
def evaluate_predictions(eng: EngineDep, actor: ActorDep, body: EvaluateIn) -> EvaluationOut:
    """Not in the seed: compare the model's logged predictions with the true values of a labelled dataset, matched
    by the model's id column (forecasts: series and time); each entry with matches records its accuracy (or mean
    absolute error), shown by ``/inference/predictions``. A model trained without an id column is 422."""
    model = eng.models.of_training(actor, body.train_id)
    return EvaluationOut.of(eng.predictions.evaluate(actor, model.id, body.dataset_id))
