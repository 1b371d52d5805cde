"""What every report figure is made of: ReportFigure (a drawing function and its size), a
figure on the Agg canvas, small-multiple panels, the report's colours, and quiet drawing.

Drawn with matplotlib's object API (no pyplot state, no display, safe in a web process).
"""

from __future__ import annotations

import contextlib
import io
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure, FigureBase

CORRECT_COLOUR = "#2e9e44"
WRONG_COLOURS = ("#9e9e9e", "#c7c7c7", "#6f6f6f", "#dcdcdc", "#888888")
CHANCE_COLOUR = "#d62728"
MEAN_COLOUR = "black"
MAX_TRIALS_PER_PANEL = 60
PANELS_PER_ROW = 3


@dataclass
class ReportFigure:
    name: str
    title: str
    caption: str
    size: tuple[float, float]  # inches, as drawn alone
    draw: Callable[[FigureBase], None]  # draws into a Figure or a SubFigure
    _figure: Figure | None = field(default=None, repr=False)

    @property
    def figure(self) -> Figure:
        """The figure drawn alone at its own size (constrained layout)."""
        if self._figure is None:
            with quiet_matplotlib():
                figure = new_figure(*self.size)
                self.draw(figure)
            self._figure = figure
        return self._figure

    def png(self, *, dpi: int = 90) -> bytes:
        buffer = io.BytesIO()
        with quiet_matplotlib():
            self.figure.savefig(buffer, format="png", dpi=dpi)
        return buffer.getvalue()


@contextlib.contextmanager
def quiet_matplotlib():
    """Draw names as they are and print nothing: a `$` in a study or class name is text, not
    mathematics; a glyph the font lacks (CJK, emoji) is left blank without a warning; a figure
    too small for its labels keeps the default layout without a warning."""
    with warnings.catch_warnings(), matplotlib.rc_context({"text.parse_math": False}):
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from")
        warnings.filterwarnings("ignore", message="constrained_layout not applied")
        yield


def new_figure(width: float, height: float, *, layout: str | None = "constrained") -> Figure:
    figure = Figure(figsize=(width, height), layout=layout)
    FigureCanvasAgg(figure)
    return figure


def panel_grid(n_panels: int) -> tuple[int, int]:
    """Rows and columns for small multiples: at most PANELS_PER_ROW side by side."""
    columns = min(n_panels, PANELS_PER_ROW)
    return math.ceil(n_panels / columns), columns


def panels(target: FigureBase, n_panels: int, *, sharey: bool = True) -> list:
    rows, columns = panel_grid(n_panels)
    grid = target.subplots(rows, columns, squeeze=False, sharey=sharey)
    for extra in grid.flat[n_panels:]:
        extra.set_visible(False)
    return list(grid.flat[:n_panels])


def level_text(alpha: float) -> str:
    return f"{100 * (1 - alpha):g}%"
