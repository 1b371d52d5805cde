"""Report figures, drawn with matplotlib's object API on the Agg canvas (no pyplot state, no
display, safe in a web process). Each function returns None when its data is missing.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from analysis.report import Report

CORRECT_COLOUR = "#2e9e44"
WRONG_COLOURS = ("#9e9e9e", "#c7c7c7", "#6f6f6f", "#dcdcdc", "#888888")
CHANCE_COLOUR = "#d62728"
MAX_TRIALS_PER_PANEL = 60


@dataclass
class ReportFigure:
    name: str
    title: str
    caption: str
    figure: Figure

    def png(self, *, dpi: int = 90) -> bytes:
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", dpi=dpi)
        return buffer.getvalue()


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
        except (ValueError, KeyError, TypeError, IndexError) as error:
            # a figure must never sink the report: say which one is missing instead
            report.notes.warn("figures", f"a figure could not be drawn ({error!r}).")
            continue
        if figure is not None:
            figures.append(figure)
    return figures


def new_figure(width: float, height: float) -> Figure:
    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def accuracy_vs_chance(report: Report) -> ReportFigure | None:
    """Pooled accuracy (Clopper-Pearson) and mixed-model typical accuracy per condition."""
    if not report.conditions:
        return None
    figure = new_figure(max(4.0, 1.3 * len(report.conditions) + 2), 3.6)
    axes = figure.add_subplot()
    x = np.arange(len(report.conditions))
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
            low, high = mixed.accuracy_typical_interval.low, mixed.accuracy_typical_interval.high
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
    axes.set_xticks(x, [c.condition for c in report.conditions])
    axes.set_ylim(0, 1)
    axes.set_ylabel("accuracy")
    axes.legend(loc="lower right", fontsize=8)
    return ReportFigure(
        "accuracy",
        "Accuracy against chance",
        f"Points: accuracy with {_level(report)} intervals; dashed: chance level 1/k.",
        figure,
    )


def kappa_figure(report: Report) -> ReportFigure | None:
    rows = [c for c in report.conditions if c.agreement is not None]
    if not rows:
        return None
    figure = new_figure(max(4.0, 1.3 * len(rows) + 2), 3.2)
    axes = figure.add_subplot()
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
    axes.set_xticks(np.arange(len(rows)), [c.condition for c in rows])
    axes.set_ylim(min(-0.1, axes.get_ylim()[0]), 1)
    axes.set_ylabel("kappa")
    axes.legend(loc="upper right", fontsize=8)
    return ReportFigure(
        "kappa",
        "Agreement between participants",
        f"Kappa with {_level(report)} bootstrap intervals over participants; 0 = chance agreement.",
        figure,
    )


def participant_histogram(report: Report) -> ReportFigure | None:
    participants = report.tables.get("participants")
    if participants is None or len(participants) == 0:
        return None
    conditions = sorted(participants["condition"].unique())
    figure = new_figure(3.2 * len(conditions) + 0.8, 3.0)
    axes_list = figure.subplots(1, len(conditions), squeeze=False, sharey=True)[0]
    chance = {c.condition: c.chance for c in report.conditions}
    for axes, condition in zip(axes_list, conditions, strict=True):
        values = participants.loc[participants["condition"] == condition, "accuracy"]
        axes.hist(values, bins=np.linspace(0, 1, 21), color="#1f77b4", edgecolor="white")
        if condition in chance:
            axes.axvline(chance[condition], color=CHANCE_COLOUR, linestyle="--")
        axes.axvline(values.mean(), color="black", linewidth=1)
        axes.set_title(condition, fontsize=9)
        axes.set_xlabel("participant accuracy")
    axes_list[0].set_ylabel("participants")
    return ReportFigure(
        "participants",
        "Accuracy per participant",
        "Histogram of participant accuracy; black: mean, dashed: chance.",
        figure,
    )


def _choice_maker(condition: str, mean_accuracy: float):
    def make(report: Report) -> ReportFigure | None:
        return choice_figure(report, condition=condition, mean_accuracy=mean_accuracy)

    return make


def choice_figure(report: Report, *, condition: str, mean_accuracy: float) -> ReportFigure | None:
    """Stacked shares of each option per trial, correct option green (SynVAE figure 2)."""
    choices = report.tables.get("choices")
    if choices is None or len(choices) == 0:
        return None
    rows = choices.loc[choices["condition"] == condition]
    by_class = rows.drop_duplicates("trial").sort_values(["class", "trial"], na_position="last")
    trials = by_class["trial"].tolist()  # grouped by class, as in the SynVAE figure
    shown = trials[:MAX_TRIALS_PER_PANEL]
    figure = new_figure(min(2 + 0.32 * len(shown), 16), 3.6)
    axes = figure.add_subplot()
    _stack_trials(axes, rows.loc[rows["trial"].isin(shown)], trials=shown)
    axes.axhline(mean_accuracy, color="black", linestyle="--", linewidth=1)
    chance = next((c.chance for c in report.conditions if c.condition == condition), None)
    if chance is not None:
        axes.axhline(chance, color=CHANCE_COLOUR, linestyle=":", linewidth=1)
    axes.set_xticks(np.arange(len(shown)), _trial_labels(rows, shown), rotation=90, fontsize=7)
    axes.set_ylim(0, 1)
    axes.set_ylabel("share of participants")
    caption = (
        f"Each bar is one trial; green: share choosing the correct option, grey: other options."
        f" Dashed: mean accuracy {mean_accuracy:.0%}; dotted: chance."
    )
    if len(trials) > len(shown):
        caption += f" First {len(shown)} of {len(trials)} trials shown (all are in the tables)."
    return ReportFigure(f"choices-{condition}", f"Choices per trial: {condition}", caption, figure)


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


def demographics_figure(report: Report) -> ReportFigure | None:
    table = report.tables.get("demographics")
    if table is None or len(table) == 0:
        return None
    variables = list(dict.fromkeys(table["variable"]))
    figure = new_figure(3.6 * len(variables) + 0.8, 3.2)
    axes_list = figure.subplots(1, len(variables), squeeze=False, sharey=True)[0]
    for axes, variable in zip(axes_list, variables, strict=True):
        rows = table.loc[table["variable"] == variable]
        _grouped_bars(axes, rows, group_column="group")
        axes.set_title(variable, fontsize=9)
    axes_list[0].set_ylabel("accuracy")
    return ReportFigure(
        "demographics",
        "Accuracy by demographic group",
        f"Pooled accuracy per group with {_level(report)} Wilson intervals; n = participants.",
        figure,
    )


def _grouped_bars(axes, rows: pd.DataFrame, *, group_column: str) -> None:
    groups = list(dict.fromkeys(rows[group_column]))
    conditions = list(dict.fromkeys(rows["condition"]))
    width = 0.8 / len(conditions)
    for k, condition in enumerate(conditions):
        part = rows.loc[rows["condition"] == condition].set_index(group_column).reindex(groups)
        x = np.arange(len(groups)) + (k - (len(conditions) - 1) / 2) * width
        errors = [
            (part["accuracy"] - part["wilson_low"]).clip(lower=0),
            (part["wilson_high"] - part["accuracy"]).clip(lower=0),
        ]
        axes.bar(x, part["accuracy"], width=width, yerr=errors, capsize=3, label=condition)
        for xi, n in zip(x, part["n_participants"], strict=True):
            if pd.notna(n):
                axes.text(
                    xi, 0.02, f"n={int(n)}", ha="center", fontsize=6, rotation=90, color="white"
                )
    axes.set_xticks(np.arange(len(groups)), groups, rotation=30, fontsize=8)
    axes.set_ylim(0, 1)
    if len(conditions) > 1:
        axes.legend(fontsize=7)


def position_figure(report: Report) -> ReportFigure | None:
    table = report.tables.get("positions")
    if table is None or len(table) == 0:
        return None
    conditions = list(dict.fromkeys(table["condition"]))
    figure = new_figure(3.2 * len(conditions) + 0.8, 3.0)
    axes_list = figure.subplots(1, len(conditions), squeeze=False, sharey=True)[0]
    for axes, condition in zip(axes_list, conditions, strict=True):
        rows = table.loc[table["condition"] == condition]
        axes.bar(rows["position"].astype(str), rows["share_chosen"], color="#1f77b4")
        axes.axhline(rows["expected_share"].iloc[0], color=CHANCE_COLOUR, linestyle="--")
        axes.set_title(f"{condition} (chi2 p={rows['chi2_p'].iloc[0]:.3g})", fontsize=9)
        axes.set_xlabel("screen position chosen")
    axes_list[0].set_ylabel("share of answers")
    return ReportFigure(
        "positions",
        "Position bias",
        "Share of answers choosing each screen position; dashed: equal shares.",
        figure,
    )


def _level(report: Report) -> str:
    return f"{100 * (1 - report.alpha):g}%"
