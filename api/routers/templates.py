"""Seed 004 §5: templates, in the seed's JSON shape (``template_name``, ``template_schema``)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, Field

from api.deps import ActorDep, EngineDep
from api.schemas import Message, UtcDatetime
from core import ColumnSpec, Template

router = APIRouter(prefix="/template", tags=["template"])
Scalar = str | int | float | bool | None


class ColumnIn(BaseModel):
    column_name: str
    data_type: str = Field("String", description="One of our column types, in any case (String, Float, …).")
    default_value: Scalar = None
    required: bool = True
    date_format: str | None = Field(default=None, description="strftime format of a date column, e.g. %d/%m/%Y.")

    def spec(self) -> ColumnSpec:
        return ColumnSpec.from_dict(self.model_dump())


class ColumnOut(BaseModel):
    column_name: str
    data_type: str
    default_value: Scalar = None
    required: bool
    date_format: str | None = None


class TemplateCreate(BaseModel):
    template_name: str
    description: str = ""
    template_schema: list[ColumnIn] = []


class TemplateUpdate(BaseModel):
    """Partial: an omitted field keeps its value."""

    template_name: str | None = None
    description: str | None = None
    template_schema: list[ColumnIn] | None = None


class TemplateSummary(BaseModel):
    id: str = Field(description="A UUID (the seed uses integers).")
    template_name: str
    description: str
    tenant_id: str
    no_of_columns: int
    created_by: str
    created_at: UtcDatetime
    modified_at: UtcDatetime

    @classmethod
    def of(cls, template: Template, tenant_id: str) -> TemplateSummary:
        return cls(
            id=template.id,
            template_name=template.name,
            description=template.description,
            tenant_id=tenant_id,
            no_of_columns=len(template.columns),
            created_by=template.owner,
            created_at=template.created_at,
            modified_at=template.updated_at,
        )


class TemplateOut(TemplateSummary):
    template_schema: list[ColumnOut]

    @classmethod
    def of(cls, template: Template, tenant_id: str) -> TemplateOut:
        columns = [ColumnOut(**c.to_seed_dict()) for c in template.columns]
        return cls(**TemplateSummary.of(template, tenant_id).model_dump(), template_schema=columns)


class TemplateList(BaseModel):
    total: int
    data: list[TemplateSummary]


@router.post("/", response_model=TemplateOut, status_code=status.HTTP_201_CREATED)
def create_template(eng: EngineDep, actor: ActorDep, body: TemplateCreate) -> TemplateOut:
    columns = [c.spec() for c in body.template_schema]
    return TemplateOut.of(eng.templates.create(actor, body.template_name, columns, body.description), actor.tenant_id)


@router.get("/list", response_model=TemplateList)
def list_templates(eng: EngineDep, actor: ActorDep) -> TemplateList:
    data = [TemplateSummary.of(t, actor.tenant_id) for t in eng.templates.list(actor)]
    return TemplateList(total=len(data), data=data)


@router.get("/{template_id}", response_model=TemplateOut)
def get_template(eng: EngineDep, actor: ActorDep, template_id: str) -> TemplateOut:
    return TemplateOut.of(eng.templates.get(actor, template_id), actor.tenant_id)


@router.get(
    "/{template_id}/export",
    response_class=Response,
    responses={200: {"description": "The template JSON file.", "content": {"application/json": {"schema": {}}}}},
)
def export_template(
    eng: EngineDep,
    actor: ActorDep,
    template_id: str,
    shape: Annotated[Literal["studio", "seed"], Query(description="Ours, or the seed's field names.")] = "studio",
) -> Response:
    """The downloadable JSON (no ids), which the Templates page imports in either shape."""
    data = eng.templates.export_json(actor, template_id, shape)
    disposition = f'attachment; filename="template-{template_id}.json"'
    return Response(data, media_type="application/json", headers={"Content-Disposition": disposition})


@router.put("/update/{template_id}", response_model=TemplateOut)
def update_template(eng: EngineDep, actor: ActorDep, template_id: str, body: TemplateUpdate) -> TemplateOut:
    columns = None if body.template_schema is None else [c.spec() for c in body.template_schema]
    template = eng.templates.update(
        actor, template_id, name=body.template_name, columns=columns, description=body.description
    )
    return TemplateOut.of(template, actor.tenant_id)


@router.delete("/{template_id}", response_model=Message)
def delete_template(eng: EngineDep, actor: ActorDep, template_id: str) -> Message:
    """Refused (409) while datasets use the template, naming them."""
    eng.templates.delete(actor, template_id)
    return Message(message="The template was deleted.")
