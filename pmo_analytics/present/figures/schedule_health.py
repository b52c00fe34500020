"""Schedule health figures (issue 17): the DCMA 14-point check of one schedule as a pass / fail strip,
each check's measured value written beside it against its limit, and the DCMA score of every stored
schedule of a month, worst first."""
from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.patches import Patch

from pmo_analytics.metrics.schedule_health import dcma_score
from pmo_analytics.present import format as fmt
from pmo_analytics.present import schedule_health as words
from pmo_analytics.present.figures.base import COLORS, Note, figure_function, row_label, titled_figure

STATUS_COLORS = {words.PASS: fmt.RAG["green"], words.FAIL: fmt.RAG["red"], words.NOT_APPLICABLE: fmt.NO_RAG}
NO_CHECK = "No DCMA check to show: no schedule is stored for this selection"
NO_SCORES = "No schedule is stored for this month: no DCMA scores to compare"
_PILL = 1.0      # the status strip's width, in data units of an axis running 0 to _WIDTH
_WIDTH = 9.0


def _subtitle(result: pd.DataFrame) -> str:
    passed, applicable = dcma_score(result)
    idle = len(result) - applicable
    text = (f"Passes {passed} of {applicable} applicable checks (score {100 * passed / applicable:.0f})"
            if applicable else "No check applies")
    return text + (f"; {idle} not applicable" if idle and applicable else "") + "; the measured value against its limit"


def _label(row) -> str:
    """The text beside a check's strip: "3 of 40 (7.5%) - limit ≤ 5%", or why it does not apply."""
    shown = words.measured(row)
    if words.status(row) == words.NOT_APPLICABLE:
        return shown
    return shown if row["threshold"] == "pass" else f"{shown} - limit {row['threshold']}"


@figure_function(empty=NO_CHECK)
def dcma_chart(result: pd.DataFrame, title: str | None = None) -> plt.Figure | Note:
    """One strip per check of a dcma() result, check 1 on top (gid "check:N"): green when it passes,
    red when it fails, grey when it does not apply, with PASS / FAIL / n/a in the strip (gid
    "status") and beside it the measured value against the limit, or why it does not apply (gid
    "label")."""
    rows = [r for _, r in result.sort_values("number").iterrows()]
    fig, ax = titled_figure(title or "DCMA 14-point schedule check", _subtitle(result),
                            size=(10, 1.0 + 0.36 * len(rows)))
    y = np.arange(len(rows))
    for yi, row in zip(y, rows):
        state = words.status(row)
        ax.barh(yi, _PILL, height=0.72, color=STATUS_COLORS[state], gid=f"check:{int(row['number'])}")
        ax.text(_PILL / 2, yi, state, ha="center", va="center", fontsize=8.5, fontweight="bold",
                color="white" if state != words.NOT_APPLICABLE else "#343a40", gid="status")
        ax.text(_PILL + 0.15, yi, _label(row), va="center", fontsize=9, gid="label",
                color=COLORS["muted"] if state == words.NOT_APPLICABLE else COLORS["total"])
    ax.set_yticks(y, [f"{int(r['number'])}  {r['check']}" for r in rows])
    ax.invert_yaxis()
    ax.set_xlim(0, _WIDTH)
    ax.xaxis.set_visible(False)
    ax.grid(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="y", length=0)
    return fig


def _worst_first(summary: pd.DataFrame) -> pd.DataFrame:
    """Lowest score first, then the most checks failed, then by project; a schedule no check applies to last."""
    data = summary.assign(_score=summary["score"].astype(float),
                          _failed=(summary["applicable"] - summary["passed"]).astype(float))
    data = data.sort_values(["_score", "_failed", "project_id"], ascending=[True, False, True], na_position="last")
    return data.reset_index(drop=True)


def _score_text(row) -> str:
    if fmt.is_missing(row["score"]):
        return "no check applies"
    text = f"{row['score']:.0f} ({int(row['passed'])} of {int(row['applicable'])} passed"
    text += f"; fails {row['failed']})" if isinstance(row["failed"], str) and row["failed"] else ")"
    return textwrap.shorten(text, 80, placeholder="…)")


@figure_function(empty=NO_SCORES)
def health_scores_chart(summary: pd.DataFrame, n: int = 30,
                        title: str = "DCMA schedule health by project") -> plt.Figure | Note:
    """One bar per schedule of health_summary (project_id, passed, applicable, score, failed): its score
    0-100 (checks passed / applicable), worst on top (gid "score:PROJECT"), green when it passes every
    applicable check, red when it fails some; the score, the count and the failed checks beside it. A
    schedule no check applies to has no bar and says so."""
    data = _worst_first(summary)
    shown = data.head(n)
    subtitle = (f"The {len(shown)} lowest of {fmt.plural(len(data), 'schedule')}" if len(shown) < len(data)
                else fmt.plural(len(data), "schedule"))
    subtitle += "; score = checks passed / checks applicable x 100, worst on top"
    fig, ax = titled_figure(title, subtitle, size=(10, 1.4 + 0.38 * len(shown)))
    y = np.arange(len(shown))
    for yi, row in zip(y, (r for _, r in shown.iterrows())):
        score = row["_score"]
        if not np.isnan(score):
            colour = STATUS_COLORS[words.PASS if row["_failed"] == 0 else words.FAIL]
            ax.barh(yi, score, height=0.62, color=colour, gid=f"score:{row['project_id']}")
        ax.text((0 if np.isnan(score) else score) + 1.5, yi, _score_text(row), va="center", fontsize=8.5,
                color=COLORS["total"], gid="label")
    ax.set_yticks(y, [row_label(r, width=28) for _, r in shown.iterrows()])
    ax.invert_yaxis()
    ax.set_xlim(0, 175)
    ax.set_xticks([0, 25, 50, 75, 100])
    ax.grid(axis="y", visible=False)
    ax.set_xlabel("DCMA score (0-100)")
    kinds = [(words.PASS, "passes every applicable check", shown["_failed"] == 0),
             (words.FAIL, "fails some", shown["_failed"] > 0)]
    fig.legend(handles=[Patch(color=STATUS_COLORS[s], label=label) for s, label, used in kinds if used.any()],
               loc="outside lower center", ncols=2, fontsize=8.5)
    return fig


__all__ = ["NO_CHECK", "NO_SCORES", "STATUS_COLORS", "dcma_chart", "health_scores_chart"]
