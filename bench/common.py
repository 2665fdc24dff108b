"""Measuring helpers shared by the benchmark scripts."""

from __future__ import annotations

import resource


def peak_bytes() -> int:
    """Peak resident memory of this process (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def verdict(ours: float, base: float, peak: int, target_ratio: float, target_peak_gb: float) -> None:
    """Print the ratio against the baseline and the engine's peak memory, each against its target."""
    ratio = ours / base
    print(
        f"ratio engine / baseline: {ratio:.2f} (target ≤ {target_ratio}) "
        f"{'OK' if ratio <= target_ratio else 'OVER TARGET'}"
    )
    print(
        f"engine peak memory: {peak / 1e9:.2f} GB (target ≤ {target_peak_gb} GB) "
        f"{'OK' if peak <= target_peak_gb * 1e9 else 'OVER TARGET'}"
    )
