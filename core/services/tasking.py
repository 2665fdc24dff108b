"""``TaskContext``: the job context task functions get, typed with the services of the engine that runs them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from core.jobs.execution import JobContext

if TYPE_CHECKING:
    from core.services.datalake import DatalakeService
    from core.services.dataset_files import DatasetFileService
    from core.services.datasets import DatasetService
    from core.services.deployments import DeploymentService
    from core.services.drift import DriftService
    from core.services.forecasts import ForecastService
    from core.services.models import ModelService
    from core.services.problems import ProblemService
    from core.services.recipes import RecipeService
    from core.services.registry import RegistryService
    from core.services.training import TrainingService
    from core.services.users import UserService


class EngineServices(Protocol):
    """The services task functions use (the engine has them all)."""

    @property
    def users(self) -> UserService: ...

    @property
    def datasets(self) -> DatasetService: ...

    @property
    def dataset_files(self) -> DatasetFileService: ...

    @property
    def recipes(self) -> RecipeService: ...

    @property
    def datalake(self) -> DatalakeService: ...

    @property
    def models(self) -> ModelService: ...

    @property
    def training(self) -> TrainingService: ...

    @property
    def forecasts(self) -> ForecastService: ...

    @property
    def registry(self) -> RegistryService: ...

    @property
    def deployments(self) -> DeploymentService: ...

    @property
    def drift(self) -> DriftService: ...

    @property
    def problems(self) -> ProblemService: ...


TaskContext = JobContext[EngineServices]
