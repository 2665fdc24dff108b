"""The model summary's charts: a class keeps its colour from the ROC to the precision-recall curve."""

from __future__ import annotations

import pandas as pd

from ui.model_charts import curves


def test_roc_and_pr_curves_draw_each_class_in_the_same_colour() -> None:
    frame = pd.DataFrame(
        {
            "class": ["b", "b", "a", "a"],
            "fpr": [0, 1, 0, 1],
            "tpr": [0, 1, 0, 1],
            "recall": [0, 1, 0, 1],
            "precision": [1, 0.5, 1, 0.5],
            "auc": 0.9,
            "average_precision": 0.8,
        }
    )
    common = {"title": "", "x_title": "", "y_title": ""}
    roc = curves(frame, x="fpr", y="tpr", score="auc", diagonal=True, **common)
    pr = curves(frame.iloc[::-1], x="recall", y="precision", score="average_precision", diagonal=False, **common)

    def colours(figure) -> dict[str, str]:  # type: ignore[no-untyped-def]
        return {t.name.split(" ")[0]: t.line.color for t in figure.data if t.name != "chance"}

    assert colours(roc) == colours(pr) and len(set(colours(roc).values())) == 2
