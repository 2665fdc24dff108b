"""The attribution jobs: one model on one sample (``attribution_run``) and the index build (``attribution_index``).

A run walks its phases (extraction, then similarity search) and writes each state as it goes; every write is
conditional, so a revoked run stays revoked whatever its job was doing. The index is built from the cached
features of each reference (files are analysed once, at the first build after they were added), its consensus
is calibrated on leave-one-out and leave-one-family-out answers over the references, and it is saved into
a temporary directory that is renamed into place, and recorded as the tenant's current index. Workers load
an index once per process, keyed by tenant and revision.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from core.attribution import (
    DEFAULT_PARAMS,
    MODELS,
    ModelResult,
    NotApplicable,
    ReferenceFeatures,
    ReferenceIndex,
    analyse_reference,
)
from core.attribution.consensus import calibrate
from core.errors import CoreError, InvalidInput, NotFound
from core.progress import Cancelled
from core.services.attribution_library import NO_INDEX, library_digest
from core.storage.orm import utcnow
from core.storage.repositories import attribution as repo
from core.storage.repositories import files as file_repo

if TYPE_CHECKING:
    from core.services.tasking import TaskContext
    from core.storage.workspace import Workspace

MODELS_BY_NAME = {model.name: model for model in MODELS}
FEATURES_TAG = hashlib.sha256(
    json.dumps([[m.name, m.version] for m in MODELS] + [DEFAULT_PARAMS.__dict__]).encode()
).hexdigest()[:16]  # stored features are reused only while models and MinHash parameters are unchanged
REBUILD = "The reference index was built with other model settings: rebuild it on the Reference library page."
_CACHED_INDEXES = 2
_cache: OrderedDict[tuple[str, str], ReferenceIndex] = OrderedDict()
_cache_lock = threading.Lock()


def load_index(workspace: Workspace, tenant_id: str) -> ReferenceIndex | None:
    """The tenant's current index, read from disk once per process and revision (None: never built)."""
    with workspace.db.session() as session:
        found = repo.current_index_location(session, tenant_id)
    if found is None:
        return None
    revision, key = found
    with _cache_lock:
        if (tenant_id, revision) in _cache:
            _cache.move_to_end((tenant_id, revision))
            return _cache[(tenant_id, revision)]
    index = ReferenceIndex.load(workspace.store.path(key))
    with _cache_lock:
        _cache[(tenant_id, revision)] = index
        while len(_cache) > _CACHED_INDEXES:
            _cache.popitem(last=False)
    return index


def attribution_run(ctx: TaskContext, params: dict[str, Any]) -> dict[str, Any]:
    """Phase 1 then phase 2 of one model on one sample, recording each phase's state on the run."""
    workspace, tenant, sha256 = ctx.workspace, ctx.job.tenant_id, str(params["sample_id"])
    model = MODELS_BY_NAME[str(params["model"])]
    outcome = {"sample_id": sha256, "model": model.name}

    def update(**values: Any) -> bool:
        with workspace.db.session() as session:
            return repo.update_run(session, tenant, sha256, model.name, ctx.job.id, **values)

    if not update(phase_1="running"):
        return {**outcome, "state": "revoked"}
    phase = "phase_1"
    try:
        ctx.progress(0.05, "phase 1: extraction")
        with workspace.db.session() as session:
            key = file_repo.storage_key(session, tenant, repo.sample_file(session, tenant, sha256))
        data = workspace.store.read(key)
        started = time.perf_counter()
        try:
            features = model.phase_1(data)
        except NotApplicable as exc:
            result = ModelResult.not_applicable(model, exc.reason).with_timing("phase_1", time.perf_counter() - started)
            update(
                phase_1="not_applicable",
                phase_2="not_applicable",
                error=exc.reason,
                result=result.to_dict(),
                predicted_at=utcnow(),
            )
            return {**outcome, "state": "not_applicable"}
        extracted = time.perf_counter()
        del data
        ctx.check()
        if not update(phase_1="done", phase_2="running"):
            return {**outcome, "state": "revoked"}
        phase = "phase_2"
        ctx.progress(0.6, "phase 2: similarity search")
        result = _search(workspace, tenant, model, features)
        result = result.with_timing("phase_1", extracted - started)
        result = result.with_timing("phase_2", time.perf_counter() - extracted)
        ctx.check()
        update(phase_2="done", result=result.to_dict(), index_revision=result.index_revision, predicted_at=utcnow())
        return {**outcome, "state": "done", "index_revision": result.index_revision}
    except Cancelled:
        update(**{phase: "revoked", "phase_2": "revoked"}, error="The job was cancelled.")
        raise
    except Exception as exc:
        message = exc.message if isinstance(exc, CoreError) else f"{type(exc).__name__}: {exc}"
        update(**{phase: "failed", "phase_2": "failed"}, error=message[:2000])
        raise


def _search(workspace: Workspace, tenant_id: str, model: Any, features: Any) -> ModelResult:
    index = load_index(workspace, tenant_id)
    if index is None:
        raise InvalidInput(NO_INDEX)
    try:
        return model.phase_2(features, index)  # type: ignore[no-any-return]
    except ValueError as exc:
        if "rebuild" in str(exc):
            raise InvalidInput(REBUILD, details=str(exc)) from exc
        raise


class _Stage:
    """Maps a sub-step's progress (0–1) onto a slice of the job's progress bar."""

    def __init__(self, ctx: TaskContext, start: float, span: float) -> None:
        self.ctx, self.start, self.span = ctx, start, span

    def progress(self, fraction: float, message: str = "") -> None:
        self.ctx.progress(self.start + self.span * fraction, message)

    def cancelled(self) -> bool:
        return self.ctx.cancelled()

    def check(self) -> None:
        self.ctx.check()


def attribution_index(ctx: TaskContext, params: dict[str, Any]) -> dict[str, Any]:
    """Analyse references not analysed yet, build the index, save it atomically, make it current."""
    workspace, tenant = ctx.workspace, ctx.job.tenant_id
    with workspace.db.session() as session:
        rows = repo.feature_keys(session, tenant)
    if not rows:
        raise InvalidInput("The reference library is empty: add labeled samples first.")
    references: list[tuple[str, str, ReferenceFeatures]] = []
    for position, (reference_id, sha256, family, file_id, key, tag) in enumerate(rows):
        ctx.check()
        ctx.progress(0.6 * position / len(rows), f"reading reference {position + 1} of {len(rows)}")
        try:
            if key is not None and tag == FEATURES_TAG:
                features = ReferenceFeatures.from_bytes(workspace.store.read(key))
            else:
                features = _analyse(workspace, tenant, reference_id, file_id)
        except (NotFound, FileNotFoundError):
            continue  # removed while the index was being built: the next build will not miss it
        references.append((sha256, family, features))
    index = ReferenceIndex.build(references, ctx=_Stage(ctx, 0.6, 0.2))
    index.consensus = calibrate(index, references, ctx=_Stage(ctx, 0.8, 0.15)).to_dict()
    ctx.progress(0.96, "saving the index")
    with workspace.store.directory_writer(tenant, "result") as (key, directory):
        index.save(directory)
    try:
        with workspace.db.session() as session:
            repo.add_index(
                session,
                tenant_id=tenant,
                revision=index.revision,
                storage_key=key,
                library_digest=library_digest([(sha, family) for sha, family, _ in references]),
                samples=len(index.samples),
                families=len(index.families),
                functions=index.entries.total,
                job_id=ctx.job.id,
            )
            old_keys = repo.prune_indexes(session, tenant)
    except BaseException:
        workspace.store.delete(key)
        raise
    for old in old_keys:
        workspace.store.delete(old)
    return {
        "revision": index.revision,
        "samples": len(index.samples),
        "families": len(index.families),
        "functions": index.entries.total,
    }


def _analyse(workspace: Workspace, tenant_id: str, reference_id: str, file_id: str) -> ReferenceFeatures:
    """Phase 1 of every model on a reference file, cached next to it for later builds."""
    with workspace.db.session() as session:
        data = workspace.store.read(file_repo.storage_key(session, tenant_id, file_id))
    features = analyse_reference(data)
    stored = workspace.store.put(tenant_id, "result", features.to_bytes())
    functions = None if features.functions is None else len(features.functions.names)
    with workspace.db.session() as session:
        replaced = repo.set_features(
            session,
            reference_id,
            key=stored.storage_key,
            tag=FEATURES_TAG,
            functions=functions,
            notes=features.not_applicable,
        )
    if replaced is not None:
        workspace.store.delete(replaced)
    return features
