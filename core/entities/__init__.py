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
    Model,
    Template,
    TrainRequest,
)
from core.entities.dataset_files import DatasetFile, DatasetVersion
from core.entities.identity import Actor, Role, Tenant, User
from core.entities.predictions import PREDICTION_KINDS, InputField, InputWarning, Prediction, PredictionRecord

__all__ = [
    "COLUMN_TYPES",
    "DATASET_STATES",
    "DATASET_USAGES",
    "FINISHED_STATES",
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
    "FileInfo",
    "InputField",
    "InputWarning",
    "Job",
    "JobStatus",
    "Model",
    "Prediction",
    "PredictionRecord",
    "ReferenceLibrary",
    "ReferenceSample",
    "Role",
    "Template",
    "Tenant",
    "TrainRequest",
    "User",
]
