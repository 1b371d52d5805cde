"""A4 pages for the PDF report: headings, paragraphs, lists, tables and figures placed top to
bottom, a new page whenever the next block does not fit, page numbers at the foot.

Everything is drawn by matplotlib (no system library): text as real text (searchable, in the
PDF's text layer), tables as text and rules, and each report figure drawn again as vectors
into its place on the page. Text is measured with the Agg renderer, so lines wrap where they
really end and table columns are as wide as their widest cell.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.gridspec import GridSpec
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.text import Text

from analysis.plot_kit import ReportFigure, new_figure

A4_INCHES = (8.27, 11.69)
MARGIN = 0.7  # inches, every side
FOOTER = 0.3  # inches kept free above the bottom margin for the page number
TEXT_WIDTH = A4_INCHES[0] - 2 * MARGIN
POINTS_PER_INCH = 72
LINE_SPACING = 1.3
CELL_PADDING = 4.5  # points, left and right of a table cell
MEASURE_SLACK = 1.03  # measured widths, a little generous: hinting differs between outputs
SMALLEST_TABLE_FONT = 6.0
TEXT_COLOUR = "#222222"
MUTED_COLOUR = "#555555"
RULE_COLOUR = "#bbbbbb"
HEADER_FILL = "#eeeeee"


@dataclass(frozen=True)
class Style:
    size: float  # points
    weight: str = "normal"
    colour: str = TEXT_COLOUR
    space_before: float = 0.0  # inches
    space_after: float = 0.06


TITLE = Style(16, "bold", space_after=0.08)
HEADING = Style(12.5, "bold", space_before=0.2, space_after=0.08)
SUBHEADING = Style(10, "bold", space_before=0.12, space_after=0.05)
BODY = Style(9)
SMALL = Style(8, colour=MUTED_COLOUR)
WARNING = Style(9, colour="#8a4b00")


@functools.lru_cache(maxsize=1)
def _renderer() -> RendererAgg:
    return RendererAgg(10, 10, POINTS_PER_INCH)  # one pixel = one point


@functools.lru_cache(maxsize=20_000)
def text_width(text: str, size: float, weight: str = "normal") -> float:
    """Width of one line of text in points, as matplotlib will draw it."""
    if not text:
        return 0.0
    prop = FontProperties(size=size, weight=weight)
    width, _, _ = _renderer().get_text_width_height_descent(text, prop, ismath=False)
    return width * MEASURE_SLACK


def wrap(text: str, width: float, size: float, weight: str = "normal") -> list[str]:
    """Greedy line breaking at spaces; a word wider than a line is cut where it must be."""
    lines: list[str] = []
    for paragraph in str(text).split("\n"):
        line = ""
        for word in paragraph.split(" "):
            candidate = f"{line} {word}" if line else word
            if text_width(candidate, size, weight) <= width:
                line = candidate
                continue
            if line:
                lines.append(line)
            line = word
            while text_width(line, size, weight) > width and len(line) > 1:
                cut = len(line) - 1
                while cut > 1 and text_width(line[:cut], size, weight) > width:
                    cut -= 1
                lines.append(line[:cut])
                line = line[cut:]
        lines.append(line)
    return lines


def line_height(size: float) -> float:
    """Inches from one line's top to the next."""
    return size * LINE_SPACING / POINTS_PER_INCH


class PageFlow:
    """Blocks placed down A4 portrait pages; `pages()` gives the finished figures."""

    def __init__(self, *, footer: str = ""):
        self._pages: list[Figure] = []
        self._y = 0.0  # inches from the top of the current page
        self._footer = footer

    # -- pages -------------------------------------------------------------------------------

    @property
    def _bottom(self) -> float:
        return A4_INCHES[1] - MARGIN - FOOTER

    def new_page(self) -> None:
        self._pages.append(new_figure(*A4_INCHES, layout=None))
        self._y = MARGIN

    def _room(self) -> float:
        return self._bottom - self._y if self._pages else 0.0

    def _need(self, height: float) -> None:
        """Start a new page unless `height` inches fit below the current position."""
        if not self._pages or (height > self._room() and self._y > MARGIN + 1e-6):
            self.new_page()

    def pages(self) -> list[Figure]:
        """The finished pages: page numbers added, ligatures off (so "fi" in the text layer
        stays two letters a reader can search and copy)."""
        total = len(self._pages)
        for number, page in enumerate(self._pages, start=1):
            self._place(
                page,
                A4_INCHES[0] - MARGIN,
                A4_INCHES[1] - MARGIN - FOOTER / 2,
                f"{self._footer}   page {number} of {total}".strip(),
                SMALL,
                ha="right",
            )
            for text in page.findobj(Text):
                text.set_fontfeatures(["-liga"])
        return self._pages

    # -- drawing primitives ------------------------------------------------------------------

    @staticmethod
    def _place(page: Figure, x: float, y: float, text: str, style: Style, ha: str = "left"):
        """Text whose top-left (or top-right) corner is x, y inches from the page's top-left."""
        page.text(
            x / A4_INCHES[0],
            1 - y / A4_INCHES[1],
            text,
            fontsize=style.size,
            fontweight=style.weight,
            color=style.colour,
            ha=ha,
            va="top",
            parse_math=False,
        )

    def _rule(self, x0: float, x1: float, y: float, *, width: float = 0.6) -> None:
        page = self._pages[-1]
        page.add_artist(
            Line2D(
                [x0 / A4_INCHES[0], x1 / A4_INCHES[0]],
                [1 - y / A4_INCHES[1]] * 2,
                transform=page.transFigure,
                color=RULE_COLOUR,
                linewidth=width,
            )
        )

    def _fill(self, x: float, y: float, width: float, height: float) -> None:
        page = self._pages[-1]
        page.add_artist(
            Rectangle(
                (x / A4_INCHES[0], 1 - (y + height) / A4_INCHES[1]),
                width / A4_INCHES[0],
                height / A4_INCHES[1],
                transform=page.transFigure,
                facecolor=HEADER_FILL,
                edgecolor="none",
            )
        )

    # -- blocks ------------------------------------------------------------------------------

    def paragraph(
        self,
        text: str,
        style: Style = BODY,
        *,
        keep_with: float = 0.0,
        bullet: bool = False,
    ) -> None:
        """Wrapped text; `keep_with` inches of what follows must fit on the same page."""
        indent = 0.2 if bullet else 0.0
        lines = wrap(text, (TEXT_WIDTH - indent) * POINTS_PER_INCH, style.size, style.weight)
        step = line_height(style.size)
        self._need(style.space_before + step * min(len(lines), 2) + keep_with)
        if self._y > MARGIN + 1e-6:
            self._y += style.space_before
        if bullet:
            self._place(self._pages[-1], MARGIN + 0.05, self._y, "•", style)
        for line in lines:
            self._need(step)
            self._place(self._pages[-1], MARGIN + indent, self._y, line, style)
            self._y += step
        self._y += style.space_after

    def heading(self, text: str, style: Style = HEADING) -> None:
        self.paragraph(text, style, keep_with=0.8)

    def bullets(self, items: list[tuple[str, Style]]) -> None:
        for text, style in items:
            self.paragraph(text, Style(style.size, style.weight, style.colour), bullet=True)

    def table(
        self,
        headings: list[str],
        rows: list[list[str]],
        *,
        caption: str | None = None,
        size: float = 7.5,
    ) -> None:
        """A table as wide as its cells (at most the text width: smaller type, then the columns
        in groups, each group repeating the first column); rows continue on the next page
        under a repeated header."""
        size, widths = _fit_columns(headings, rows, size)
        numeric = [
            column > 0 and all(_looks_numeric(row[column]) for row in rows)
            for column in range(len(headings))
        ]
        for group in _column_groups(widths):
            self._table_part(
                [headings[i] for i in group],
                [[row[i] for i in group] for row in rows],
                [widths[i] for i in group],
                [numeric[i] for i in group],
                size,
            )
        if caption:
            self.paragraph(caption, SMALL)
        self._y += 0.08

    def _table_part(
        self,
        headings: list[str],
        rows: list[list[str]],
        widths: list[float],
        numeric: list[bool],
        size: float,
    ) -> None:
        cells_of = [
            [
                wrap(cell, width - 2 * CELL_PADDING, size, "bold" if k == 0 else "normal")
                for cell, width in zip(row, widths, strict=True)
            ]
            for k, row in enumerate([headings, *rows])
        ]
        heights = [
            max(len(lines) for lines in cells) * line_height(size) + 0.04 for cells in cells_of
        ]
        self._need(heights[0] + sum(heights[1:3]))
        self._table_row(cells_of[0], widths, numeric, size, heights[0], header=True)
        for cells, height in zip(cells_of[1:], heights[1:], strict=True):
            if height > self._room():
                self.new_page()
                self._table_row(cells_of[0], widths, numeric, size, heights[0], header=True)
            self._table_row(cells, widths, numeric, size, height, header=False)
        self._y += 0.1

    def _table_row(
        self,
        cells: list[list[str]],
        widths: list[float],
        numeric: list[bool],
        size: float,
        height: float,
        *,
        header: bool,
    ) -> None:
        page = self._pages[-1]
        total = sum(widths) / POINTS_PER_INCH
        if header:
            self._fill(MARGIN, self._y, total, height)
        style = Style(size, "bold" if header else "normal")
        x = MARGIN
        padding = CELL_PADDING / POINTS_PER_INCH
        for lines, width, right in zip(cells, widths, numeric, strict=True):
            inches = width / POINTS_PER_INCH
            left = not right
            anchor = x + padding if left else x + inches - padding
            for k, line in enumerate(lines):
                self._place(
                    page,
                    anchor,
                    self._y + 0.02 + k * line_height(size),
                    line,
                    style,
                    ha="left" if left else "right",
                )
            x += inches
        self._y += height
        self._rule(MARGIN, MARGIN + total, self._y, width=0.8 if header else 0.4)

    def figure(self, report_figure: ReportFigure) -> None:
        """Title, the figure drawn as vectors at (at most) the text width, and its caption."""
        width = min(report_figure.size[0], TEXT_WIDTH)
        usable = self._bottom - MARGIN - 0.9
        height = min(report_figure.size[1], usable)
        caption_lines = wrap(report_figure.caption, TEXT_WIDTH * POINTS_PER_INCH, SMALL.size)
        block = (
            SUBHEADING.space_before
            + line_height(SUBHEADING.size)
            + height
            + len(caption_lines) * line_height(SMALL.size)
            + 0.2
        )
        self._need(block)
        self.paragraph(report_figure.title, SUBHEADING)
        left = MARGIN + (TEXT_WIDTH - width) / 2
        draw_figure_at(self._pages[-1], report_figure, left, self._y, width, height)
        self._y += height + 0.05
        self.paragraph(report_figure.caption, SMALL)
        self._y += 0.12


def draw_figure_at(
    page: Figure, report_figure: ReportFigure, left: float, top: float, width: float, height: float
) -> None:
    """Draw the figure into a region of the page (inches from the top-left), laid out as
    constrained layout lays it out alone at that size."""
    probe = new_figure(width, height)
    report_figure.draw(probe)
    probe.get_layout_engine().execute(probe)
    positions = [axes.get_position() for axes in probe.axes]
    grid = GridSpec(
        1,
        1,
        figure=page,
        left=left / A4_INCHES[0],
        right=(left + width) / A4_INCHES[0],
        top=1 - top / A4_INCHES[1],
        bottom=1 - (top + height) / A4_INCHES[1],
    )
    region = page.add_subfigure(grid[0])
    report_figure.draw(region)
    x0, y0 = left / A4_INCHES[0], 1 - (top + height) / A4_INCHES[1]
    w, h = width / A4_INCHES[0], height / A4_INCHES[1]
    for axes, p in zip(region.axes, positions, strict=True):  # page fractions
        axes.set_position([x0 + p.x0 * w, y0 + p.y0 * h, p.width * w, p.height * h])


def _looks_numeric(cell: str) -> bool:
    """Numbers, intervals and dashes are right-aligned; words are left-aligned."""
    return cell == "" or cell[:1] in "0123456789-–[(." or cell in ("yes", "no")


def _fit_columns(headings: list[str], rows: list[list[str]], size: float):
    """Font size and column widths (points): natural widths, the type made smaller (down to
    SMALLEST_TABLE_FONT) until the table fits the text width; a column wider than 40% of the
    text width wraps."""
    limit = TEXT_WIDTH * POINTS_PER_INCH
    while True:
        widths = []
        for column, heading in enumerate(headings):
            cells = [heading, *(row[column] for row in rows)]
            widest = max(
                text_width(cell, size, "bold" if k == 0 else "normal")
                for k, cell in enumerate(cells)
            )
            widths.append(min(widest + 2 * CELL_PADDING, 0.4 * limit))
        if sum(widths) <= limit or size <= SMALLEST_TABLE_FONT:
            return size, widths
        size = max(SMALLEST_TABLE_FONT, size - 0.5)


def _column_groups(widths: list[float]) -> list[list[int]]:
    """Columns in groups that fit the text width, each group starting with column 0."""
    limit = TEXT_WIDTH * POINTS_PER_INCH
    groups, current, used = [], [0], widths[0]
    for column in range(1, len(widths)):
        if used + widths[column] > limit and len(current) > 1:
            groups.append(current)
            current, used = [0], widths[0]
        current.append(column)
        used += widths[column]
    groups.append(current)
    return groups
