"""Typed ORM models. Every module is imported here so the metadata (and Alembic) sees all tables."""

from core.storage.orm.activity import AuditRow, FileRow, JobRow
from core.storage.orm.attribution import LibraryIndexRow, ReferenceRow, RunRow, SampleRow
from core.storage.orm.base import Base, name_key, new_id, utcnow
from core.storage.orm.data import DatasetRow, ModelRow, TemplateRow
from core.storage.orm.dataset_files import DatasetFileRow, DatasetVersionRow
from core.storage.orm.identity import (
    LoginThrottleRow,
    PermissionRow,
    RefreshTokenRow,
    RoleRow,
    TenantRow,
    UserRow,
)
from core.storage.orm.lake import LakeTableRow
from core.storage.orm.links import JobLinkRow, ModelDatasetRow, ModelFileRow
from core.storage.orm.predictions import PredictionRow
from core.storage.orm.prep import DatasetLineageRow, RecipeRow
from core.storage.orm.problems import (
    LearnupletRow,
    PredupletRow,
    ProblemAlgoRow,
    ProblemDataRow,
    ProblemRow,
    ProblemTestDataRow,
)
from core.storage.orm.registry import (
    AliasMoveRow,
    DeploymentRow,
    DriftCheckRow,
    OperationRow,
    RegisteredModelRow,
    RegistryAliasRow,
    RegistryArtifactRow,
    RegistryVersionRow,
)

__all__ = [
    "AliasMoveRow",
    "AuditRow",
    "Base",
    "DatasetFileRow",
    "DatasetLineageRow",
    "DatasetRow",
    "DatasetVersionRow",
    "DeploymentRow",
    "DriftCheckRow",
    "FileRow",
    "JobLinkRow",
    "JobRow",
    "LakeTableRow",
    "LearnupletRow",
    "LibraryIndexRow",
    "LoginThrottleRow",
    "ModelDatasetRow",
    "ModelFileRow",
    "ModelRow",
    "OperationRow",
    "PermissionRow",
    "PredictionRow",
    "PredupletRow",
    "ProblemAlgoRow",
    "ProblemDataRow",
    "ProblemRow",
    "ProblemTestDataRow",
    "RecipeRow",
    "ReferenceRow",
    "RefreshTokenRow",
    "RegisteredModelRow",
    "RegistryAliasRow",
    "RegistryArtifactRow",
    "RegistryVersionRow",
    "RoleRow",
    "RunRow",
    "SampleRow",
    "TemplateRow",
    "TenantRow",
    "UserRow",
    "name_key",
    "new_id",
    "utcnow",
]
