"""The year-gap figure of period matching conditions: accuracy per gap band (points sized by
answers, with Wilson intervals), the fitted logistic curve of analysis.year_gap, and chance."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import FigureBase
from statsmodels.stats.proportion import proportion_confint

from analysis.plot_kit import CHANCE_COLOUR, CORRECT_COLOUR, ReportFigure, panels
from analysis.year_gap import PER_YEARS


def year_gap_figure(
    bands: pd.DataFrame, fits: pd.DataFrame, *, chance: dict[str, float], level: float = 0.95
) -> ReportFigure | None:
    """One panel per condition; None without bands."""
    if len(bands) == 0:
        return None
    conditions = sorted(bands["condition"].unique())

    def draw(target: FigureBase) -> None:
        for axes, condition in zip(panels(target, len(conditions)), conditions, strict=True):
            rows = bands.loc[bands["condition"] == condition]
            fit = fits.loc[fits["condition"] == condition] if len(fits) else fits
            draw_condition(axes, rows, fit, chance=chance.get(condition), level=level)
            axes.set_title(condition)

    return ReportFigure(
        name="year_gap",
        title="Accuracy by year gap",
        caption=(
            "Accuracy per gap band (the years between the prompt and the nearest distractor; "
            f"points sized by answers, {100 * level:g}% Wilson intervals), the fitted logistic "
            "curve where there is one, and chance (dashed)."
        ),
        size=(4.0 * min(len(conditions), 3), 3.2 * ((len(conditions) + 2) // 3)),
        draw=draw,
    )


def draw_condition(axes, rows: pd.DataFrame, fit: pd.DataFrame, *, chance, level: float) -> None:
    low, high = proportion_confint(
        rows["n_correct"], rows["n_answers"], alpha=1 - level, method="wilson"
    )
    x = rows["gap_years"].to_numpy(dtype=float)
    accuracy = rows["accuracy"].to_numpy(dtype=float)
    axes.errorbar(
        x,
        accuracy,
        yerr=[accuracy - np.asarray(low), np.asarray(high) - accuracy],
        fmt="none",
        ecolor="#777777",
        capsize=3,
    )
    axes.scatter(x, accuracy, s=20 + 4 * rows["n_answers"].to_numpy(), color=CORRECT_COLOUR)
    if len(fit):
        slope, intercept = float(fit["slope_per_100y"].iloc[0]), float(fit["intercept"].iloc[0])
        curve = np.linspace(0, max(x.max() * 1.1, 10), 200)
        axes.plot(curve, 1 / (1 + np.exp(-(intercept + slope * curve / PER_YEARS))), color="black")
    if chance is not None:
        axes.axhline(chance, color=CHANCE_COLOUR, linestyle="--", linewidth=1)
    axes.set_ylim(0, 1.05)
    axes.set_xlim(left=0)
    axes.set_xlabel("year gap to the nearest distractor")
    axes.set_ylabel("accuracy")
