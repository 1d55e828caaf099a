"""heatmap.png: recommendations x scoping areas, how many members tagged each area on each draft.

Rendered headless (Agg, chosen before pyplot could be imported) with the object API, so it is safe in a
worker thread. cividis is a sequential colormap designed to read the same for the common forms of
colour blindness; each count is written in the cell, in black or white by the cell's luminance.
"""

from __future__ import annotations

import asyncio
import io
import logging
import multiprocessing
import textwrap
import warnings
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import cache

# matplotlib is imported where a picture is drawn (the worker process, or the thread fallback), never
# at import: the bot process would otherwise carry it (about 40 MB and 0.4 s) from start-up on.

log = logging.getLogger(__name__)

COLORMAP = "cividis"
# Fonts tried in order, so titles in other scripts render when the machine has a font for them.
FALLBACK_FONTS = (
    "DejaVu Sans",
    "Noto Sans",
    "Noto Sans CJK JP",
    "Noto Sans Arabic",
    "Noto Sans Devanagari",
    "Noto Color Emoji",
)


@dataclass(frozen=True, slots=True)
class HeatmapText:
    """Every word the picture shows, already in the reader's language."""

    title: str
    subtitle: str
    x_label: str
    y_label: str
    colorbar: str
    legend_title: str


@cache
def _fonts() -> list[str]:
    from matplotlib import font_manager

    installed = {font.name for font in font_manager.fontManager.ttflist}
    return [name for name in FALLBACK_FONTS if name in installed] or ["DejaVu Sans"]


def luminance(rgba: Sequence[float]) -> float:
    """Relative luminance (WCAG) of an sRGB colour with components in 0..1."""

    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgba[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def text_colour(rgba: Sequence[float]) -> str:
    """Black on light cells, white on dark ones (the higher WCAG contrast of the two)."""
    lum = luminance(rgba)
    return "black" if (lum + 0.05) / 0.05 >= 1.05 / (lum + 0.05) else "white"


def render_heatmap(
    counts: Sequence[Sequence[int]],
    row_labels: Sequence[str],
    row_titles: Sequence[str],
    column_labels: Sequence[str],
    text: HeatmapText,
) -> bytes:
    """A PNG: one row per recommendation ("R1"...), one column per area, the count in every cell.

    The recommendations' titles go in a legend below the grid, wrapped, so long titles stay legible.
    The layout is computed here in inches (no layout engine: it would draw the figure twice).
    """
    import matplotlib

    matplotlib.use("Agg")  # headless: no display, no GUI toolkit
    with matplotlib.rc_context({"font.family": _fonts()}):
        return _draw(counts, row_labels, row_titles, column_labels, text)


def _draw(
    counts: Sequence[Sequence[int]],
    row_labels: Sequence[str],
    row_titles: Sequence[str],
    column_labels: Sequence[str],
    text: HeatmapText,
) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.colors import Normalize
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    rows, columns = max(1, len(row_labels)), max(1, len(column_labels))
    cell_w, cell_h = 0.9, 0.55
    left, right, top = 0.8, 1.4, 0.9
    longest = max((len(label) for label in column_labels), default=1)
    below = 0.5 + 0.075 * longest * 0.6  # rotated tick labels and the axis label
    grid_w, grid_h = max(6.5, cell_w * columns), max(1.5, cell_h * rows)
    width = left + grid_w + right
    wrap = max(40, int((width - 0.6) * 13))
    legend = [text.legend_title]
    for label, title in zip(row_labels, row_titles, strict=True):
        wrapped = textwrap.wrap(title, wrap) or [""]
        legend.append(f"{label}  {wrapped[0]}")
        legend.extend(f"      {more}" for more in wrapped[1:])
    legend_h = 0.2 + 0.17 * len(legend)
    height = top + grid_h + below + legend_h
    figure = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(figure)
    grid = figure.add_axes((left / width, (legend_h + below) / height, grid_w / width, grid_h / height))
    bar = figure.add_axes(
        ((left + grid_w + 0.2) / width, (legend_h + below) / height, 0.2 / width, grid_h / height)
    )
    values = [list(row) for row in counts] or [[0]]
    peak = max((max(row) for row in values if row), default=0)
    norm = Normalize(vmin=0, vmax=max(peak, 1))
    image = grid.imshow(values, cmap=COLORMAP, norm=norm, aspect="auto", interpolation="nearest")
    cmap = image.get_cmap()
    for i, row in enumerate(counts):
        for j, value in enumerate(row):
            grid.text(
                j, i, str(value), ha="center", va="center", fontsize=9, color=text_colour(cmap(norm(value)))
            )
    grid.set_xticks(range(len(column_labels)), labels=list(column_labels), rotation=35, ha="right",
                    rotation_mode="anchor")  # fmt: skip
    grid.set_yticks(range(len(row_labels)), labels=list(row_labels))
    grid.set_xlabel(text.x_label)
    grid.set_ylabel(text.y_label)
    grid.tick_params(length=0)
    for spine in grid.spines.values():
        spine.set_visible(False)
    colorbar = figure.colorbar(image, cax=bar)
    colorbar.set_label(text.colorbar)
    colorbar.ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # counts of members: whole numbers
    figure.text(0.5, 1 - 0.15 / height, text.title, ha="center", va="top", fontsize=13, weight="bold")
    figure.text(0.5, 1 - 0.5 / height, text.subtitle, ha="center", va="top", fontsize=10)
    figure.text(0.3 / width, (legend_h - 0.1) / height, "\n".join(legend), ha="left", va="top", fontsize=8.5,
                linespacing=1.35)  # fmt: skip
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        # A title in a script no installed font covers gets boxes for those letters (install Noto fonts
        # for them); matplotlib would otherwise warn once per missing glyph.
        warnings.filterwarnings("ignore", message="Glyph .* missing from font", category=UserWarning)
        figure.savefig(buffer, format="png", pil_kwargs={"compress_level": 1})
    return buffer.getvalue()


class HeatmapPainter:
    """Draws heatmaps off the event loop: in a worker process when one is wanted, else in a thread.

    matplotlib holds the GIL while it draws (about a quarter of a second); in a thread that stalls the
    database thread feeding the feedback listing, so the bot and the CLI use one spawned worker process
    (started on first use, or ahead with ``warm_up``) and the picture is drawn truly in parallel.
    """

    def __init__(self, *, use_process: bool = True) -> None:
        self.use_process = use_process
        self._pool: ProcessPoolExecutor | None = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
        return self._pool

    async def warm_up(self) -> None:
        """Start the worker and import matplotlib in it, so the first digest does not wait for that."""
        if self.use_process:
            await asyncio.get_running_loop().run_in_executor(self._executor(), _fonts)

    async def paint(
        self,
        counts: Sequence[Sequence[int]],
        row_labels: Sequence[str],
        row_titles: Sequence[str],
        column_labels: Sequence[str],
        text: HeatmapText,
    ) -> bytes:
        args = ([list(row) for row in counts], list(row_labels), list(row_titles), list(column_labels), text)
        if not self.use_process:
            return await asyncio.to_thread(render_heatmap, *args)
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor(), render_heatmap, *args)
        except (BrokenProcessPool, OSError, RuntimeError) as error:
            # No worker process here (it died, or processes cannot be started): draw in a thread from now on.
            log.warning(
                "The heatmap worker process is not available (%s); drawing in a thread instead", error
            )
            self.close()
            self.use_process = False
            return await asyncio.to_thread(render_heatmap, *args)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
