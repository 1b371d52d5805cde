"""Report figures: every figure the report's data supports, in reading order.

Each maker returns a ReportFigure (analysis.plot_kit) or None when its data is missing. The
HTML report draws a figure alone (`ReportFigure.figure`); the PDF report draws it again into
its place on an A4 page. This module holds the summary figures; analysis.plot_breakdowns the
per-trial, per-group and per-position ones.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import FigureBase
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from analysis.plot_breakdowns import choice_figure, demographics_figure, position_figure
from analysis.plot_kit import (
    CHANCE_COLOUR,
    MEAN_COLOUR,
    ReportFigure,
    level_text,
    new_figure,
    panel_grid,
    panels,
    quiet_matplotlib,
)
from analysis.report import Report

__all__ = ["ReportFigure", "new_figure", "quiet_matplotlib", "report_figures"]


def report_figures(report: Report) -> list[ReportFigure]:
    """Every figure the report's data supports, in reading order."""
    makers = [
        accuracy_vs_chance,
        kappa_figure,
        participant_histogram,
        *[
            _choice_maker(condition.condition, condition.test.accuracy)
            for condition in report.conditions
        ],
        demographics_figure,
        position_figure,
    ]
    figures = []
    for make in makers:
        try:
            figure = make(report)
            if figure is not None:
                figure.figure  # noqa: B018  (drawn now, so a failing figure is a note here)
        except (ValueError, KeyError, TypeError, IndexError) as error:
            # a figure must never sink the report: say which one is missing instead
            report.notes.warn("figures", f"a figure could not be drawn ({error!r}).")
            continue
        if figure is not None:
            figures.append(figure)
    return figures


def _choice_maker(condition: str, mean_accuracy: float):
    def make(report: Report) -> ReportFigure | None:
        return choice_figure(report, condition=condition, mean_accuracy=mean_accuracy)

    return make


def accuracy_vs_chance(report: Report) -> ReportFigure | None:
    """Pooled accuracy (Clopper-Pearson) and mixed-model typical accuracy per condition."""
    if not report.conditions:
        return None

    def draw(target: FigureBase) -> None:
        axes = target.add_subplot()
        for i, condition in enumerate(report.conditions):
            interval = condition.test.clopper_pearson
            axes.errorbar(
                i - 0.1,
                condition.accuracy,
                yerr=[[condition.accuracy - interval.low], [interval.high - condition.accuracy]],
                fmt="o",
                color="#1f77b4",
                capsize=4,
                label="pooled (Clopper-Pearson)" if i == 0 else None,
            )
            if condition.mixed is not None:
                mixed = condition.mixed
                low, high = (
                    mixed.accuracy_typical_interval.low,
                    mixed.accuracy_typical_interval.high,
                )
                axes.errorbar(
                    i + 0.1,
                    mixed.accuracy_typical,
                    yerr=[[mixed.accuracy_typical - low], [high - mixed.accuracy_typical]],
                    fmt="s",
                    color="#ff7f0e",
                    capsize=4,
                    label="mixed model (typical participant)" if i == 0 else None,
                )
            axes.hlines(
                condition.chance,
                i - 0.35,
                i + 0.35,
                colors=CHANCE_COLOUR,
                linestyles="--",
                label="chance 1/k" if i == 0 else None,
            )
        _condition_ticks(axes, [c.condition for c in report.conditions])
        axes.set_ylim(0, 1)
        axes.set_ylabel("accuracy")
        axes.legend(loc="lower right", fontsize=8)

    return ReportFigure(
        "accuracy",
        "Accuracy against chance",
        f"Points: accuracy per condition with {_level(report)} intervals (blue: pooled answers, "
        "Clopper-Pearson; orange: the mixed model's typical participant); dashed red: the "
        "condition's chance level 1/k.",
        (max(4.0, 1.3 * len(report.conditions) + 2), 3.6),
        draw,
    )


def _condition_ticks(axes, names: list[str]) -> None:
    long = max((len(name) for name in names), default=0) > 12 and len(names) > 2
    axes.set_xticks(
        np.arange(len(names)), names, rotation=20 if long else 0, ha="right" if long else "center"
    )
    axes.set_xlim(-0.6, len(names) - 0.4)


def kappa_figure(report: Report) -> ReportFigure | None:
    rows = [c for c in report.conditions if c.agreement is not None]
    if not rows:
        return None

    def draw(target: FigureBase) -> None:
        axes = target.add_subplot()
        for i, condition in enumerate(rows):
            agreement = condition.agreement
            for offset, value, interval, marker, colour, label in (
                (-0.1, agreement.fleiss_kappa, agreement.fleiss_ci, "o", "#1f77b4", "Fleiss"),
                (0.1, agreement.randolph_kappa, agreement.randolph_ci, "s", "#ff7f0e", "Randolph"),
            ):
                if not np.isfinite(value):
                    continue
                yerr = None
                if interval is not None:
                    yerr = [[max(value - interval.low, 0)], [max(interval.high - value, 0)]]
                axes.errorbar(
                    i + offset,
                    value,
                    yerr=yerr,
                    fmt=marker,
                    color=colour,
                    capsize=4,
                    label=label if i == 0 else None,
                )
        axes.axhline(0, color="black", linewidth=0.8)
        _condition_ticks(axes, [c.condition for c in rows])
        axes.set_ylim(min(-0.1, axes.get_ylim()[0]), 1)
        axes.set_ylabel("kappa")
        axes.legend(
            handles=[
                Line2D([], [], marker="o", linestyle="", color="#1f77b4", label="Fleiss"),
                Line2D([], [], marker="s", linestyle="", color="#ff7f0e", label="Randolph"),
            ],
            loc="upper right",
            fontsize=8,
        )

    return ReportFigure(
        "kappa",
        "Agreement between participants",
        f"Fleiss' kappa (blue) and Randolph's free-marginal kappa (orange) per condition, with "
        f"{_level(report)} bootstrap intervals over participants; 0 = chance agreement.",
        (max(4.0, 1.3 * len(rows) + 2), 3.2),
        draw,
    )


# Bars centred on the 0.05 grid: an accuracy of 0.65 and one of 0.70 fall in different bars.
HISTOGRAM_BINS = np.linspace(-0.025, 1.025, 22)


def participant_histogram(report: Report) -> ReportFigure | None:
    participants = report.tables.get("participants")
    if participants is None or len(participants) == 0:
        return None
    conditions = sorted(participants["condition"].unique())
    chance = {c.condition: c.chance for c in report.conditions}

    def draw(target: FigureBase) -> None:
        axes_list = panels(target, len(conditions))
        for axes, condition in zip(axes_list, conditions, strict=True):
            values = participants.loc[participants["condition"] == condition, "accuracy"]
            axes.hist(values, bins=HISTOGRAM_BINS, color="#1f77b4", edgecolor="white")
            if condition in chance:
                axes.axvline(chance[condition], color=CHANCE_COLOUR, linestyle="--")
            axes.axvline(values.mean(), color=MEAN_COLOUR, linewidth=1)
            axes.set_title(condition, fontsize=9)
            axes.set_xlim(-0.05, 1.05)
            axes.set_xlabel("participant accuracy")
            axes.yaxis.get_major_locator().set_params(integer=True)
        axes_list[0].set_ylabel("participants")
        axes_list[0].legend(
            handles=[
                Patch(color="#1f77b4", label="participants"),
                Line2D([], [], color=MEAN_COLOUR, linewidth=1, label="mean"),
                Line2D([], [], color=CHANCE_COLOUR, linestyle="--", label="chance 1/k"),
            ],
            loc="upper left",
            fontsize=7,
        )

    rows, columns = panel_grid(len(conditions))
    return ReportFigure(
        "participants",
        "Accuracy per participant",
        "Histogram of participant accuracy per condition, one bar per 0.05 centred on its value "
        "(0.65 and 0.70 fall in different bars); black line: mean, dashed red: chance.",
        (3.0 * columns + 0.8, 2.7 * rows + 0.3),
        draw,
    )


def _level(report: Report) -> str:
    return level_text(report.alpha)
