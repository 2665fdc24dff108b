"""The reference library of sample attribution: labeled files by family, and the index built from them.

``AttributionService`` (samples, status, results; ``attribution.py``) builds on this class; both use its checks
and storage of uploaded files (``_checked``, ``_store``: the bytes are kept as a ``sample`` file in the same
transaction as their rows).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any, BinaryIO, TypeVar

import pandas as pd
from sqlalchemy.orm import Session

from core.entities import Actor, FileInfo, Job, ReferenceLibrary, ReferenceSample
from core.errors import Conflict, InvalidInput, Problem
from core.services.base import Service, record, require
from core.services.files import clean_name
from core.services.jobs import JobService
from core.storage.repositories import attribution as repo
from core.storage.repositories import files as file_repo
from core.storage.workspace import Workspace

INDEX_KIND = "attribution_index"
MAX_FAMILY_LENGTH = 100
ARCHIVES = {
    b"PK\x03\x04": "ZIP",
    b"\x1f\x8b": "gzip",
    b"\xfd7zXZ\x00": "xz",
    b"BZh": "bzip2",
    b"7z\xbc\xaf\x27\x1c": "7-Zip",
    b"Rar!\x1a\x07": "RAR",
    b"\x28\xb5\x2f\xfd": "zstd",
}
NO_INDEX = (
    "The reference library has no index yet: add labeled samples and rebuild the index on the Reference library page."
)
T = TypeVar("T")


def library_digest(pairs: list[tuple[str, str]]) -> str:
    """What a library holds ((sha256, family) pairs): an index built from other pairs is out of date."""
    return hashlib.sha256(json.dumps(sorted(pairs)).encode()).hexdigest()


def models() -> tuple[Any, ...]:
    """The attribution models, imported on first use: disassembler and MinHash libraries take seconds to
    import, and every page and job worker imports the engine."""
    from core.attribution import MODELS

    return MODELS


def _family(name: str) -> str:
    family = " ".join(str(name).split())
    if not family or len(family) > MAX_FAMILY_LENGTH or not family.isprintable():
        raise InvalidInput(
            f"Name the family in 1 to {MAX_FAMILY_LENGTH} printable characters (for example the "
            "Debian source package).",
            [Problem("invalid family name", field="family")],
        )
    return family


class AttributionLibrary(Service):
    def __init__(self, workspace: Workspace, *, jobs: JobService) -> None:
        super().__init__(workspace)
        self.jobs = jobs

    # --- checks and storage shared by references and samples ------------------------------------------
    def _checked(self, filename: str, data: bytes | BinaryIO, *, reference: bool) -> tuple[str, bytes, str, str | None]:
        """(clean name, bytes, sha256, problem) — problems are collected so a batch is refused as a whole. A
        stream is read one byte past the upload limit at most."""
        name = clean_name(filename)
        data = (
            bytes(data)
            if isinstance(data, bytes | bytearray | memoryview)
            else data.read(self.settings.max_upload_bytes + 1)
        )
        limit = self.settings.max_upload_mb
        problem = None
        if not data:
            problem = f"The file {name} is empty."
        elif len(data) > self.settings.max_upload_bytes:
            problem = f"The file {name} is larger than the limit of {limit} MB."
        elif reference and (kind := next((k for m, k in ARCHIVES.items() if data.startswith(m)), None)):
            problem = (
                f"The file {name} is a {kind} archive; archives are not unpacked, so add the files inside "
                "it one by one."
            )
        return name, data, hashlib.sha256(data).hexdigest(), problem

    def _store(self, actor: Actor, name: str, data: bytes, write: Callable[[Session, FileInfo], T]) -> T:
        """Keep the bytes as a ``sample`` file of the tenant and run ``write`` in the same transaction as the
        file row; on any failure neither the bytes nor the rows remain."""
        stored = self.store.put(actor.tenant_id, "sample", data)
        try:
            with self.db.session() as session:
                info = file_repo.add_file(
                    session,
                    tenant_id=actor.tenant_id,
                    owner_id=actor.user_id,
                    kind="sample",
                    name=name,
                    content_type="application/octet-stream",
                    stored=stored,
                )
                record(session, actor, "file.added", "file", info.id, name=name, kind="sample", size=stored.size)
                return write(session, info)
        except BaseException:
            self.store.delete(stored.storage_key)
            raise

    # --- reference library ----------------------------------------------------------------------------
    def add_reference(self, actor: Actor, *, family: str, filename: str, data: bytes) -> ReferenceSample:
        """Add one labeled file; it is analysed at the next index rebuild."""
        return self.add_references(actor, family=family, files=[(filename, data)])[0]

    def add_references(self, actor: Actor, *, family: str, files: list[tuple[str, bytes]]) -> list[ReferenceSample]:
        """Add several files of one family; any problem (empty, too large, archive, already in the library)
        refuses the whole batch, naming each file."""
        require(actor, "attribution:library")
        family = _family(family)
        if not files:
            raise InvalidInput("Choose at least one file to add.")
        checked = [self._checked(name, data, reference=True) for name, data in files]
        with self.db.session() as session:
            known = repo.references_by_sha(session, actor.tenant_id, [sha for _, _, sha, _ in checked])
        problems, seen = [], set()
        for name, _, sha, problem in checked:
            if problem is None and sha in known:
                problem = f"The file {name} is already in the library as {known[sha].name} ({known[sha].family})."
            elif problem is None and sha in seen:
                problem = f"The file {name} is chosen twice (same bytes)."
            seen.add(sha)
            if problem:
                problems.append(Problem(problem, field=name))
        if problems:
            message = problems[0].problem if len(problems) == 1 else f"{len(problems)} of the files cannot be added."
            raise InvalidInput(message, problems)

        def write(family_name: str, name: str, sha: str, size: int) -> Callable[[Session, FileInfo], ReferenceSample]:
            def add(session: Session, info: FileInfo) -> ReferenceSample:
                added = repo.add_reference(
                    session,
                    tenant_id=actor.tenant_id,
                    owner_id=actor.user_id,
                    family=family_name,
                    name=name,
                    sha256=sha,
                    size=size,
                    file_id=info.id,
                )
                record(
                    session,
                    actor,
                    "attribution.reference_added",
                    "reference",
                    added.id,
                    family=family_name,
                    name=name,
                    sha256=sha,
                )
                return added

            return add

        return [self._store(actor, name, data, write(family, name, sha, len(data))) for name, data, sha, _ in checked]

    def list_references(self, actor: Actor, family: str | None = None) -> list[ReferenceSample]:
        require(actor, "attribution:read")
        with self.db.session() as session:
            return repo.list_references(session, actor.tenant_id, family)

    def families(self, actor: Actor) -> pd.DataFrame:
        """One row per family: ``family, samples, analysed, functions, bytes, last_added``."""
        references = self.list_references(actor)
        columns = ["family", "samples", "analysed", "functions", "bytes", "last_added"]
        if not references:
            return pd.DataFrame(columns=columns)
        frame = pd.DataFrame(
            [
                {
                    "family": r.family,
                    "analysed": r.analysed,
                    "functions": r.functions or 0,
                    "bytes": r.size,
                    "created_at": r.created_at,
                }
                for r in references
            ]
        )
        grouped = frame.groupby("family", sort=True).agg(
            samples=("family", "size"),
            analysed=("analysed", "sum"),
            functions=("functions", "sum"),
            bytes=("bytes", "sum"),
            last_added=("created_at", "max"),
        )
        return grouped.reset_index()[columns]

    def remove_reference(self, actor: Actor, reference_id: str) -> None:
        """Remove a labeled file and its cached features; the index keeps it until the next rebuild."""
        require(actor, "attribution:library")
        with self.db.session() as session:
            reference = repo.get_reference(session, actor.tenant_id, reference_id)
            file_id, features_key = repo.delete_reference(session, actor.tenant_id, reference_id)
            key = file_repo.delete_file(session, actor.tenant_id, file_id)
            record(
                session,
                actor,
                "attribution.reference_removed",
                "reference",
                reference_id,
                family=reference.family,
                name=reference.name,
            )
        for stale in (key, features_key):
            if stale:
                self.store.delete(stale)

    def library(self, actor: Actor) -> ReferenceLibrary | None:
        """The current index (None before the first build); ``stale`` once references changed since."""
        require(actor, "attribution:read")
        with self.db.session() as session:
            digest = library_digest(repo.library_pairs(session, actor.tenant_id))
            return repo.current_index(session, actor.tenant_id, digest)

    def rebuild_index(self, actor: Actor) -> Job:
        """Analyse new references and build the index as a job (result: revision, samples, functions)."""
        require(actor, "attribution:library")
        with self.db.session() as session:
            if not repo.library_pairs(session, actor.tenant_id):
                raise InvalidInput("The reference library is empty: add labeled samples first.")
            if repo.running_index_jobs(session, actor.tenant_id, INDEX_KIND):
                raise Conflict("The index is already being rebuilt; wait for that job to finish.")
            job = self.jobs._queue(session, actor, INDEX_KIND, "Rebuild the attribution index", {})
        return self.jobs._start(job, actor)
