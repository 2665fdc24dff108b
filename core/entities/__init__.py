"""Frozen dataclasses that leave the engine; ORM rows never do. One module per area, all re-exported here."""

from core.entities.activity import FINISHED_STATES, UNFINISHED_JOB_STATES, AuditEvent, FileInfo, Job, JobStatus
from core.entities.attribution import (
    PHASE_STATES,
    UNFINISHED_STATES,
    AttributionRun,
    AttributionSample,
    ReferenceLibrary,
    ReferenceSample,
)
from core.entities.data import (
    COLUMN_TYPES,
    DATASET_STATES,
    DATASET_USAGES,
    PROBLEM_TYPES,
    ColumnSpec,
    ColumnType,
    Dataset,
    Template,
    TrainingCheck,
    TrainRequest,
)
from core.entities.dataset_files import DatasetFile, DatasetVersion
from core.entities.identity import Actor, Role, Tenant, User
from core.entities.models import (
    MODEL_FILE_ROLES,
    FeatureSpec,
    ForecastSpec,
    ImportanceInfo,
    Model,
    ModelDetails,
    ModelSchema,
)
from core.entities.predictions import PREDICTION_KINDS, InputField, InputWarning, Prediction, PredictionRecord

__all__ = [
    "COLUMN_TYPES",
    "DATASET_STATES",
    "DATASET_USAGES",
    "FINISHED_STATES",
    "MODEL_FILE_ROLES",
    "PHASE_STATES",
    "PREDICTION_KINDS",
    "PROBLEM_TYPES",
    "UNFINISHED_JOB_STATES",
    "UNFINISHED_STATES",
    "Actor",
    "AttributionRun",
    "AttributionSample",
    "AuditEvent",
    "ColumnSpec",
    "ColumnType",
    "Dataset",
    "DatasetFile",
    "DatasetVersion",
    "FeatureSpec",
    "FileInfo",
    "ForecastSpec",
    "ImportanceInfo",
    "InputField",
    "InputWarning",
    "Job",
    "JobStatus",
    "Model",
    "ModelDetails",
    "ModelSchema",
    "Prediction",
    "PredictionRecord",
    "ReferenceLibrary",
    "ReferenceSample",
    "Role",
    "Template",
    "Tenant",
    "TrainRequest",
    "TrainingCheck",
    "User",
]
