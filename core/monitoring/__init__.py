"""Monitoring: drift of current data against a model's reference (its training data), on numpy and scipy."""

from core.monitoring.drift import ColumnDrift, DriftReport, DriftRule, Multivariate, compare, compare_column

__all__ = ["ColumnDrift", "DriftReport", "DriftRule", "Multivariate", "compare", "compare_column"]
