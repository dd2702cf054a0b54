"""A widget showing a plot drawn by `promdash.tui.plot`; it draws again only when needed."""

from __future__ import annotations

from collections.abc import Sequence

from rich.align import Align
from rich.console import RenderableType
from rich.text import Text
from textual.widget import Widget

from promdash.tui.plot import RGB, PlotLine, render_plot


class PlotView(Widget, can_focus=True):
    """Holds the lines and window of the last answer; redraws when they or its size change."""

    DEFAULT_CSS = """
    PlotView { height: 1fr; min-height: 6; }
    PlotView:focus { background-tint: $foreground 4%; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._lines: tuple[PlotLine, ...] = ()
        self._window = (0.0, 1.0, 1.0)
        self._axes: RGB = (128, 128, 128)
        self._signature: object = None
        self._version = 0
        self._cache_key: tuple[int, int, int] | None = None
        self._cache: Text | None = None
        self.placeholder = "Type a PromQL expression above and press Enter."
        self.draws = 0  # plots actually built (tests and the benchmark read it)

    @property
    def has_data(self) -> bool:
        return self._signature is not None

    def set_data(
        self, lines: Sequence[PlotLine], start: float, end: float, step: float, axes: RGB
    ) -> bool:
        """Show these lines; returns False (and does nothing) when nothing changed."""
        signature = (
            tuple((ln.colour, tuple(ln.timestamps), tuple(ln.values)) for ln in lines),
            start,
            end,
            step,
            axes,
        )
        if signature == self._signature:
            return False
        self._signature = signature
        self._lines = tuple(lines)
        self._window = (start, end, step)
        self._axes = axes
        self._version += 1
        self.refresh()
        return True

    def clear_data(self, placeholder: str) -> None:
        self._signature = None
        self._lines = ()
        self.placeholder = placeholder
        self._version += 1
        self.refresh()

    def render(self) -> RenderableType:
        if self._signature is None:
            return Align.center(Text(self.placeholder, style="dim"), vertical="middle")
        width, height = self.size
        key = (self._version, width, height)
        if key != self._cache_key or self._cache is None:
            start, end, step = self._window
            self._cache = render_plot(
                self._lines,
                width=width,
                height=height,
                start=start,
                end=end,
                step=step,
                axes=self._axes,
            )
            self._cache_key = key
            self.draws += 1
        return self._cache
