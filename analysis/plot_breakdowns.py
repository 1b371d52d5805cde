"""Breakdown figures: choices per trial, accuracy per demographic group, position bias."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import FigureBase
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.transforms import blended_transform_factory

from analysis.plot_kit import (
    CHANCE_COLOUR,
    CORRECT_COLOUR,
    MAX_TRIALS_PER_PANEL,
    MEAN_COLOUR,
    WRONG_COLOURS,
    ReportFigure,
    level_text,
    panel_grid,
    panels,
)
from analysis.report import Report


def choice_figure(report: Report, *, condition: str, mean_accuracy: float) -> ReportFigure | None:
    """Stacked shares of each option per trial, correct option green (SynVAE figure 2)."""
    choices = report.tables.get("choices")
    if choices is None or len(choices) == 0:
        return None
    rows = choices.loc[choices["condition"] == condition]
    by_class = rows.drop_duplicates("trial").sort_values(["class", "trial"], na_position="last")
    trials = by_class["trial"].tolist()  # grouped by class, as in the SynVAE figure
    shown = trials[:MAX_TRIALS_PER_PANEL]
    chance = next((c.chance for c in report.conditions if c.condition == condition), None)

    def draw(target: FigureBase) -> None:
        axes = target.add_subplot()
        _stack_trials(axes, rows.loc[rows["trial"].isin(shown)], trials=shown)
        axes.axhline(mean_accuracy, color=MEAN_COLOUR, linestyle="--", linewidth=1)
        if chance is not None:
            axes.axhline(chance, color=CHANCE_COLOUR, linestyle=":", linewidth=1)
        axes.set_xticks(np.arange(len(shown)), _trial_labels(rows, shown), rotation=90, fontsize=7)
        axes.set_xlabel("trial (class)")
        axes.set_ylim(0, 1)
        axes.set_ylabel("share of participants")
        axes.legend(
            handles=[
                Patch(color=CORRECT_COLOUR, label="correct option"),
                Patch(color=WRONG_COLOURS[0], label="other options"),
                Line2D([], [], color=MEAN_COLOUR, linestyle="--", label="mean accuracy"),
                Line2D([], [], color=CHANCE_COLOUR, linestyle=":", label="chance 1/k"),
            ],
            loc="upper left",
            bbox_to_anchor=(1.0, 1.0),
            fontsize=7,
        )

    caption = (
        f"Each bar is one trial; green: share choosing the correct option, grey: other options."
        f" Dashed: mean accuracy {mean_accuracy:.0%}; dotted red: chance."
    )
    if len(trials) > len(shown):
        caption += f" First {len(shown)} of {len(trials)} trials shown (all are in the tables)."
    return ReportFigure(
        f"choices-{condition}",
        f"Choices per trial: {condition}",
        caption,
        (min(3.6 + 0.3 * len(shown), 16), 3.6),
        draw,
    )


def _stack_trials(axes, rows: pd.DataFrame, *, trials: list[str]) -> None:
    """One stacked bar per trial; slot 0 is the correct option (choice tables list it first)."""
    slot = rows.groupby("trial").cumcount()
    shares = rows.assign(slot=slot).pivot_table(
        index="trial", columns="slot", values="share", aggfunc="sum", fill_value=0.0
    )
    shares = shares.reindex(trials, fill_value=0.0)
    bottom = np.zeros(len(trials))
    x = np.arange(len(trials))
    for k in shares.columns:
        colour = CORRECT_COLOUR if k == 0 else WRONG_COLOURS[(k - 1) % len(WRONG_COLOURS)]
        height = shares[k].to_numpy()
        axes.bar(x, height, bottom=bottom, color=colour, edgecolor="white", width=0.8)
        bottom += height


def _trial_labels(rows: pd.DataFrame, trials: list[str]) -> list[str]:
    classes = rows.groupby("trial")["class"].first()
    labels = []
    for trial in trials:
        label = str(trial)
        klass = classes.get(trial)
        if isinstance(klass, str):
            label += f" ({klass})"
        labels.append(label)
    return labels


DEMOGRAPHIC_TITLES = {
    "gender": "gender",
    "musical_level": "musical level",
    "age_band": "age band",
}
BAR_INCHES = 0.22


def demographics_figure(report: Report) -> ReportFigure | None:
    """One panel per variable, one horizontal bar per group and condition, n at the right."""
    table = report.tables.get("demographics")
    if table is None or len(table) == 0:
        return None
    variables = list(dict.fromkeys(table["variable"]))
    conditions = list(dict.fromkeys(table["condition"]))
    heights = [
        table.loc[table["variable"] == v, "group"].nunique() * len(conditions) for v in variables
    ]

    def draw(target: FigureBase) -> None:
        axes_list = target.subplots(
            len(variables), 1, squeeze=False, sharex=True, height_ratios=heights
        )[:, 0]
        for axes, variable in zip(axes_list, variables, strict=True):
            rows = table.loc[table["variable"] == variable]
            _grouped_bars(axes, rows, conditions=conditions)
            axes.set_title(DEMOGRAPHIC_TITLES.get(variable, variable), fontsize=9, loc="left")
        axes_list[-1].set_xlabel("accuracy")
        if len(conditions) > 1:
            axes_list[0].legend(
                loc="lower right",
                bbox_to_anchor=(1.0, 1.0),
                ncols=len(conditions),
                fontsize=7,
                frameon=False,
            )

    return ReportFigure(
        "demographics",
        "Accuracy by demographic group",
        f"Pooled accuracy per group with {_level(report)} Wilson intervals; n at the right: "
        "participants in the group.",
        (6.4, sum(heights) * BAR_INCHES + 0.75 * len(variables) + 0.4),
        draw,
    )


def _grouped_bars(axes, rows: pd.DataFrame, *, conditions: list[str]) -> None:
    groups = list(dict.fromkeys(rows["group"]))
    height = 0.8 / len(conditions)
    at_right = blended_transform_factory(axes.transAxes, axes.transData)
    for k, condition in enumerate(conditions):
        part = rows.loc[rows["condition"] == condition].set_index("group").reindex(groups)
        y = np.arange(len(groups)) + (k - (len(conditions) - 1) / 2) * height
        errors = [
            (part["accuracy"] - part["wilson_low"]).clip(lower=0),
            (part["wilson_high"] - part["accuracy"]).clip(lower=0),
        ]
        axes.barh(y, part["accuracy"], height=height, xerr=errors, capsize=2, label=condition)
        for yi, n in zip(y, part["n_participants"], strict=True):
            if pd.notna(n):
                axes.text(1.01, yi, f"n={int(n)}", transform=at_right, va="center", fontsize=7)
    axes.set_yticks(np.arange(len(groups)), [group_label(g) for g in groups], fontsize=8)
    axes.invert_yaxis()
    axes.set_xlim(0, 1)


def group_label(value) -> str:
    """A stored answer value as people write it: "prefer_not_to_say" -> "Prefer not to say"."""
    text = str(value).replace("_", " ")
    return text[:1].upper() + text[1:]


def position_figure(report: Report) -> ReportFigure | None:
    table = report.tables.get("positions")
    if table is None or len(table) == 0:
        return None
    conditions = list(dict.fromkeys(table["condition"]))

    def draw(target: FigureBase) -> None:
        axes_list = panels(target, len(conditions))
        for axes, condition in zip(axes_list, conditions, strict=True):
            rows = table.loc[table["condition"] == condition]
            positions = rows["position"].astype(int).to_numpy()
            axes.bar(positions, rows["share_chosen"], color="#1f77b4", label="share chosen")
            axes.axhline(
                rows["expected_share"].iloc[0],
                color=CHANCE_COLOUR,
                linestyle="--",
                label="equal shares",
            )
            axes.set_xticks(positions, [str(p) for p in positions])
            axes.set_title(f"{condition} (chi2 p={rows['chi2_p'].iloc[0]:.3g})", fontsize=9)
            axes.set_xlabel("screen position chosen (0 = first)")
        axes_list[0].set_ylabel("share of answers")
        axes_list[0].legend(loc="upper right", fontsize=7)

    rows, columns = panel_grid(len(conditions))
    return ReportFigure(
        "positions",
        "Position bias",
        "Share of answers choosing each screen position (0 = first on the screen); dashed red: "
        "equal shares 1/k; chi2 p: chi-square test of equal shares.",
        (3.0 * columns + 0.8, 2.7 * rows + 0.3),
        draw,
    )


def _level(report: Report) -> str:
    return level_text(report.alpha)
