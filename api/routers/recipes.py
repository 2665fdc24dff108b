"""Recipes (data preparation, issue 17; no seed has them): save, preview on a sample, run as a job into a new
dataset, Fix's proposal, lineage, export / import. Steps are the engine's JSON form (``kind`` plus its fields, as
the Prepare page's "Export" writes them); a step that cannot apply is a 422 naming its number and column."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Response, UploadFile, status
from pydantic import BaseModel, Field

from api.data_schemas import records
from api.deps import ActorDep, EngineDep
from api.routers.datasets import JobSubmitted
from api.schemas import Message, UtcDatetime
from core import Lineage, RecipeInfo

router = APIRouter(prefix="/recipes", tags=["recipes"])
Steps = Annotated[
    list[dict[str, Any]],
    Field(description='Ordered steps, e.g. {"kind": "cast", "column": "day", "to": "date", "day_first": true}.'),
]


class RecipeIn(BaseModel):
    name: str
    dataset_id: str = Field(description="The dataset the recipe is written for (its rows check the steps).")
    description: str = ""
    steps: Steps


class RecipeUpdate(BaseModel):
    """Partial: an omitted field keeps its value."""

    name: str | None = None
    description: str | None = None
    steps: Steps | None = None


class RecipeOut(BaseModel):
    id: str
    name: str
    description: str
    dataset_id: str | None = Field(description="None once that dataset is deleted.")
    dataset_name: str | None
    steps: list[dict[str, Any]]
    created_by: str
    created_at: UtcDatetime
    modified_at: UtcDatetime

    @classmethod
    def of(cls, info: RecipeInfo) -> RecipeOut:
        return cls(
            id=info.id,
            name=info.name,
            description=info.description,
            dataset_id=info.dataset_id,
            dataset_name=info.dataset_name,
            steps=list(info.steps.get("steps", [])),
            created_by=info.owner,
            created_at=info.created_at,
            modified_at=info.updated_at,
        )


class RecipeList(BaseModel):
    total: int
    data: list[RecipeOut]


class PreviewIn(BaseModel):
    dataset_id: str
    steps: Steps
    step: int | None = Field(default=None, description="Show the data after this step (1-based); all steps if null.")
    sample_rows: int = Field(default=5_000, description="Rows of the dataset the preview runs on (1–100,000).")


class PreviewOut(BaseModel):
    rows: list[dict[str, Any]] = Field(description="The first 50 rows after the step.")
    summary: list[dict[str, Any]] = Field(description="Per column: type, missing, distinct, min, max.")
    removed: list[dict[str, Any]] = Field(description="The first 50 rows the step removed.")
    removed_count: int
    changed: list[dict[str, Any]] = Field(description='The first 50 rows it changed: "<column> before/after".')
    changed_count: int
    reports: list[dict[str, Any]] = Field(
        description="Per step: rows in / out, failed casts (failed; first_failed: the first such value, as text), "
        "unmatched join keys."
    )
    rows_total: int
    sample_rows: int
    source_rows: int


class RunIn(BaseModel):
    output_name: str | None = Field(default=None, description='The new dataset\'s name (default "<source> prepared").')
    in_place: bool = Field(default=False, description="Make the dataset's next version instead of a new dataset.")


class LineageOut(BaseModel):
    dataset_id: str
    version: int
    recipe_id: str | None
    recipe_name: str
    source_id: str | None
    source_name: str
    source_version: int
    steps: list[dict[str, Any]]
    reports: list[dict[str, Any]]
    replay: dict[str, Any] = Field(description="What a model trained on this version replays on raw rows.")
    created_by: str
    created_at: UtcDatetime

    @classmethod
    def of(cls, lineage: Lineage) -> LineageOut:
        return cls(
            **{k: v for k, v in vars(lineage).items() if k not in ("steps", "reports")},
            steps=list(lineage.steps.get("steps", [])),
            reports=list(lineage.reports),
        )


@router.post("/", response_model=RecipeOut, status_code=status.HTTP_201_CREATED)
def create_recipe(eng: EngineDep, actor: ActorDep, body: RecipeIn) -> RecipeOut:
    info = eng.recipes.create(actor, body.name, body.dataset_id, {"steps": body.steps}, body.description)
    return RecipeOut.of(info)


@router.get("/", response_model=RecipeList)
def list_recipes(
    eng: EngineDep, actor: ActorDep, dataset_id: Annotated[str | None, Query(description="Only this dataset's.")] = None
) -> RecipeList:
    data = [RecipeOut.of(r) for r in eng.recipes.list(actor, dataset_id)]
    return RecipeList(total=len(data), data=data)


@router.post("/preview", response_model=PreviewOut)
def preview(eng: EngineDep, actor: ActorDep, body: PreviewIn) -> PreviewOut:
    shown = eng.recipes.preview(
        actor, body.dataset_id, {"steps": body.steps}, step=body.step, sample_rows=body.sample_rows
    )
    return PreviewOut(
        rows=records(shown.rows),
        summary=records(shown.summary),
        removed=records(shown.removed),
        removed_count=shown.removed_count,
        changed=records(shown.changed),
        changed_count=shown.changed_count,
        reports=[r.to_dict() for r in shown.reports],
        rows_total=shown.rows_total,
        sample_rows=shown.sample_rows,
        source_rows=shown.source_rows,
    )


@router.get("/suggest", response_model=list[dict[str, Any]])
def suggest(eng: EngineDep, actor: ActorDep, dataset_id: Annotated[str, Query()]) -> list[dict[str, Any]]:
    """The steps "Fix" proposes for the dataset (casts, fills, a filter of bad rows); [] when none are needed."""
    return list(eng.recipes.suggest(actor, dataset_id).to_dict()["steps"])


@router.get("/lineage/{dataset_id}", response_model=LineageOut | None)
def lineage(
    eng: EngineDep, actor: ActorDep, dataset_id: str, version: Annotated[int | None, Query(ge=1)] = None
) -> LineageOut | None:
    """How the dataset's version (its current one by default) was made; null when it was uploaded."""
    found = eng.recipes.lineage(actor, dataset_id, version)
    return LineageOut.of(found) if found else None


@router.post("/import", response_model=RecipeOut, status_code=status.HTTP_201_CREATED)
def import_recipe(
    eng: EngineDep,
    actor: ActorDep,
    file: Annotated[UploadFile, File(description="A recipe JSON file as exported.")],
    dataset_id: Annotated[str, Query()],
    name: Annotated[str | None, Query(description="Default: the name in the file.")] = None,
) -> RecipeOut:
    return RecipeOut.of(eng.recipes.import_json(actor, file.file.read(2**20), dataset_id, name))


@router.get("/{recipe_id}", response_model=RecipeOut)
def get_recipe(eng: EngineDep, actor: ActorDep, recipe_id: str) -> RecipeOut:
    return RecipeOut.of(eng.recipes.get(actor, recipe_id))


@router.patch("/{recipe_id}", response_model=RecipeOut)
def update_recipe(eng: EngineDep, actor: ActorDep, recipe_id: str, body: RecipeUpdate) -> RecipeOut:
    steps = None if body.steps is None else {"steps": body.steps}
    return RecipeOut.of(eng.recipes.update(actor, recipe_id, name=body.name, steps=steps, description=body.description))


@router.delete("/{recipe_id}", response_model=Message)
def delete_recipe(eng: EngineDep, actor: ActorDep, recipe_id: str) -> Message:
    """The datasets it made keep their lineage (with the steps as they ran)."""
    eng.recipes.delete(actor, recipe_id)
    return Message(message="The recipe was deleted.")


@router.post("/{recipe_id}/run", response_model=JobSubmitted, status_code=status.HTTP_202_ACCEPTED)
def run_recipe(eng: EngineDep, actor: ActorDep, recipe_id: str, body: RunIn | None = None) -> JobSubmitted:
    """A job (``GET /jobs/{job_id}``); its result names the new dataset (``dataset_id``)."""
    body = body or RunIn()
    job = eng.recipes.run(actor, recipe_id, body.output_name, in_place=body.in_place)
    return JobSubmitted(message="Recipe run submitted.", job_id=job.id)


@router.get(
    "/{recipe_id}/export",
    response_class=Response,
    responses={200: {"description": "The recipe JSON file.", "content": {"application/json": {"schema": {}}}}},
)
def export_recipe(eng: EngineDep, actor: ActorDep, recipe_id: str) -> Response:
    data = eng.recipes.export_json(actor, recipe_id)
    disposition = f'attachment; filename="recipe-{recipe_id}.json"'
    return Response(data, media_type="application/json", headers={"Content-Disposition": disposition})
