"""Tables and the score-over-ranks plot of the Problems page (frames in, frames / figures out; no engine)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from core import Algorithm, Leaderboard, Learnuplet, Preduplet
from ui.charts import _layout

STATE_ICONS = {"waiting": "…", "todo": "○", "pending": "▶", "done": "✓", "failed": "✗"}


def board_frame(board: Leaderboard) -> pd.DataFrame:
    rows = [
        {
            "place": n + 1 if e.best_perf is not None else None,
            "algorithm": e.algo_name,
            f"best {board.problem.metric}": e.best_perf,
            "done": e.done,
            "failed": e.failed,
            "to do": e.unfinished,
            "champion": "★" if e.best_model_id and e.best_model_id == board.champion_model_id else "",
        }
        for n, e in enumerate(board.entries)
    ]
    return pd.DataFrame(rows)


def score_plot(board: Leaderboard) -> go.Figure:
    """Each algorithm's score per rank (markers; failed ranks left out) and its best so far (line)."""
    figure = go.Figure()
    higher = board.problem.higher_is_better
    for entry in board.entries:
        points = [(rank, perf) for rank, perf in entry.history if perf is not None]
        if not points:
            continue
        ranks, scores = zip(*points, strict=True)
        best, running = [], None
        for score in scores:
            running = score if running is None or (score > running if higher else score < running) else running
            best.append(running)
        figure.add_scatter(x=ranks, y=scores, mode="markers", name=f"{entry.algo_name}: task score")
        figure.add_scatter(x=ranks, y=best, mode="lines", name=f"{entry.algo_name}: best so far", line_shape="hv")
    direction = "higher is better" if higher else "lower is better"
    _layout(figure, f"{board.problem.metric} over ranks ({direction})", "rank (mini-batch)", board.problem.metric)
    figure.update_layout(showlegend=True, xaxis={"dtick": 1})
    return figure


def tasks_frame(tasks: list[Learnuplet], algos: list[Algorithm]) -> pd.DataFrame:
    names = {a.id: a.name for a in algos}
    return pd.DataFrame(
        [
            {
                "algorithm": names.get(t.algo_id, t.algo_id),
                "rank": t.rank,
                "status": f"{STATE_ICONS[t.status]} {t.status}",
                "perf": t.perf,
                "test perf": ", ".join(f"{p:.3f}" for p in t.test_perf if p is not None),
                "training rows": sum(b.stop - b.start for b in t.train_data),
                "worker": t.worker or "",
                "error": t.error,
                "id": t.id,
            }
            for t in tasks
        ],
        columns=["algorithm", "rank", "status", "perf", "test perf", "training rows", "worker", "error", "id"],
    )


def predictions_frame(preds: list[Preduplet], names: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "data": names.get(p.dataset_id, p.dataset_id),
                "status": f"{STATE_ICONS[p.status]} {p.status}",
                "requested (UTC)": p.created_at,
                "error": p.error,
                "id": p.id,
            }
            for p in preds
        ],
        columns=["data", "status", "requested (UTC)", "error", "id"],
    )
