"""Seed 004 §7: files. Add to a dataset (a new version) or on their own, list, view, download and delete by id."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, File, Query, Response, UploadFile, status
from pydantic import BaseModel, Field

from api.data_schemas import FileOut, FilesOut, records
from api.deps import ActorDep, EngineDep
from core import USER_KINDS, InvalidInput, Problem, safe_csv

router = APIRouter(prefix="/files", tags=["files"])

FileId = Annotated[
    str, Query(description="The file's UUID (the seed's file_path is not accepted: files are read by id).")
]
Kind = Literal["data", "model", "code", "environment", "other"]
assert set(Kind.__args__) == set(USER_KINDS)  # type: ignore[attr-defined]


class FileList(BaseModel):
    total: int
    data: list[FileOut]


class FileView(BaseModel):
    file_id: str
    kind: str = Field(description="table, text, image or binary.")
    content_preview: list[str] = Field(description="The first lines (a table's as CSV lines), as in the seed.")
    columns: list[str] | None = None
    rows: list[dict[str, Any]] | None = Field(default=None, description="A table's first rows as objects.")
    note: str


class FileDeleted(BaseModel):
    message: str
    dataset_id: str | None = Field(default=None, description="The dataset the file was removed from.")
    dataset_version: int | None = Field(default=None, description="Its new version, without the file's rows.")


@router.post("/add", response_model=FilesOut, status_code=status.HTTP_201_CREATED)
def add_files(
    eng: EngineDep,
    actor: ActorDep,
    files: Annotated[list[UploadFile], File(description="One or more files.")],
    dataset_id: Annotated[str | None, Query(description="Append the files' rows to this dataset.")] = None,
    kind: Annotated[Kind | None, Query(description="Store the files on their own, with this kind.")] = None,
    on_problems: Annotated[Literal["keep", "keep_valid", "reject"], Query()] = "keep",
    sheet: Annotated[str | None, Query(description="The worksheet of Excel files.")] = None,
) -> FilesOut:
    """Seed §7.1. With ``dataset_id`` the files are validated against the dataset's template (or its column types)
    and their rows appended as its next version; with ``kind`` instead they are stored on their own."""
    if (dataset_id is None) == (kind is None):
        raise InvalidInput("Give either dataset_id or kind.", [Problem("give one", field="dataset_id")])
    named = [(f.filename or "upload", f.file) for f in files]
    if dataset_id is not None:
        added = eng.dataset_files.add(actor, dataset_id, files=named, sheet=sheet, on_problems=on_problems)
        return FilesOut.of_dataset(added.dataset, added.files)
    stored = [eng.files.add(actor, filename=name, data=data, kind=str(kind)) for name, data in named]
    return FilesOut(files=[FileOut.of(None, info) for info in stored])


@router.get("/list", response_model=FileList)
def list_files(
    eng: EngineDep,
    actor: ActorDep,
    dataset_id: Annotated[str | None, Query(description="Only this dataset's files, in the order of its rows.")] = None,
    kind: Annotated[str | None, Query(description="Only files of this kind (without dataset_id).")] = None,
) -> FileList:
    """Seed §7.2: a dataset's files; without ``dataset_id``, every file of the tenant the role may read."""
    if dataset_id is not None:
        data = [FileOut.of(p) for p in eng.dataset_files.list(actor, dataset_id)]
    else:
        data = [FileOut.of(None, f) for f in eng.files.list(actor, kinds=[kind] if kind else None)]
    return FileList(total=len(data), data=data)


@router.get("/view", response_model=FileView)
def view_file(
    eng: EngineDep, actor: ActorDep, file_id: FileId, rows: Annotated[int, Query(ge=1, le=1000)] = 20
) -> FileView:
    """Seed §7.3: the first rows of a CSV or Parquet file, the head of a text file; images and binaries have
    nothing to show here (download them)."""
    preview = eng.files.preview(actor, file_id, rows=rows)
    if preview.table is not None:
        table_frame = preview.table
        header = safe_csv(table_frame.head(0)).decode().removesuffix("\r\n")
        lines = [header] + [
            safe_csv(table_frame.iloc[[i]], header=False).decode().removesuffix("\r\n") for i in range(len(table_frame))
        ]  # one entry per row, even for multi-line cells
        table = records(preview.table)
        columns = [str(c) for c in preview.table.columns]
        return FileView(
            file_id=file_id, kind=preview.kind, content_preview=lines, columns=columns, rows=table, note=preview.note
        )
    lines = (preview.text or "").splitlines()[:rows]
    return FileView(file_id=file_id, kind=preview.kind, content_preview=lines, note=preview.note)


@router.get(
    "/download/",
    response_class=Response,
    responses={200: {"description": "The file's bytes.", "content": {"application/octet-stream": {"schema": {}}}}},
)
def download_file(eng: EngineDep, actor: ActorDep, file_id: FileId) -> Response:
    """Seed §7.5, by id instead of a server path. Model files need the models:download permission."""
    info = eng.files.get(actor, file_id)
    data = eng.files.download(actor, file_id)
    disposition = f"attachment; filename*=UTF-8''{quote(info.name)}"
    return Response(data, media_type="application/octet-stream", headers={"Content-Disposition": disposition})


@router.get("/get_file_by_id/", response_model=FileOut)
def get_file(eng: EngineDep, actor: ActorDep, file_id: FileId) -> FileOut:
    """Seed §7.6, without the seed's storage paths."""
    return FileOut.of(eng.dataset_files.of_file(actor, file_id), eng.files.get(actor, file_id))


@router.delete("/delete/{file_id}", response_model=FileDeleted)
def delete_file(eng: EngineDep, actor: ActorDep, file_id: str) -> FileDeleted:
    """Seed §7.4. A dataset's file is taken out of it: the dataset's next version lacks its rows (409 for its
    only file, or for a file that holds a dataset version or a model); any other file is deleted."""
    dataset = eng.dataset_files.delete_file(actor, file_id)
    if dataset is None:
        return FileDeleted(message="The file was deleted.")
    return FileDeleted(
        message="The file was removed from its dataset.", dataset_id=dataset.id, dataset_version=dataset.version
    )
