"""What every dashboard panel shares: shown or hidden, stale or fresh."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.containers import Vertical
from textual.widgets import Static

if TYPE_CHECKING:
    from promdash.tui.app import PromdashApp


class Panel(Vertical):
    """A panel renders only while shown; data that arrives while hidden waits for `reveal()`."""

    panel_name: ClassVar[str] = ""
    title: ClassVar[str] = ""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="panel")
        self.shown = False
        self._dirty = False

    @property
    def dash(self) -> PromdashApp:
        from promdash.tui.app import PromdashApp

        assert isinstance(self.app, PromdashApp)
        return self.app

    def set_shown(self, shown: bool) -> None:
        was = self.shown
        self.shown = shown
        if shown and not was and self._dirty:
            self._dirty = False
            self.redraw()

    def changed(self) -> None:
        """New data arrived: draw it now if shown, else when the panel is next shown."""
        if self.shown:
            self._dirty = False
            self.redraw()
        else:
            self._dirty = True

    def redraw(self) -> None:
        """Present the panel's current data (subclasses)."""

    def set_stale(self, stale: bool) -> None:
        self.set_class(stale, "-stale")

    def on_theme_changed(self) -> None:
        """Colours come from the theme's variables: draw again with the new ones."""
        self.changed()


def show(static: Static, text: Text | str) -> None:
    """Update a Static only when its text changed, and re-lay out only when its size may have.

    `Static.update` lays the whole screen out again by default; on a live panel
    that ran every refresh for text of the same size.
    """
    new = text if isinstance(text, Text) else Text(text)
    old: Text | None = getattr(static, "_promdash_text", None)
    if old is not None and old == new:
        return
    same_size = (
        old is not None
        and old.cell_len == new.cell_len
        and old.plain.count("\n") == new.plain.count("\n")
    )
    static._promdash_text = new  # type: ignore[attr-defined]
    static.update(new, layout=not same_size)
