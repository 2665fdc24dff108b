"""The one-case explanation chart: a regression's pushes stay visible next to a base value far from 0."""

from __future__ import annotations

from ui.inference_charts import contribution_waterfall


def test_waterfall_axis_spans_the_running_totals_not_zero() -> None:
    """Body mass in grams: base 4200 g, pushes of tens to hundreds of grams (from 0, each was a sliver)."""
    pushes = {"flipper_length_mm": 310.0, "sex": -180.0, "bill_depth_mm": 45.0}
    figure = contribution_waterfall(4200.0, pushes, 4375.0, title="", x_title="body_mass_g")
    low, high = figure.layout.xaxis.range
    assert 0 < low < 4200 and high > 4200 + 310  # every running total (4200, 4510, 4330, 4375) inside; 0 far outside
    assert high - low < 1000  # the smallest push (45 g) is at least 4.5% of the axis
    assert list(figure.data[0].x) == [4200.0, 310.0, -180.0, 45.0, 4375.0]
