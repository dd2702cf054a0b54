"""Theme files (TOML) loaded at start-up into textual Theme objects.

A theme file holds textual's own colours at the top level and promdash's colours
(health, alert state, plot lines) under `[variables]`, which panels read through
`App.theme_variables`; CSS reaches them as `$health-up` and so on. A theme that
does not define them (textual's own, or one written for another app) gets them
made from its own colours by `theme_defaults`, readable on its backgrounds.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from textual.color import BLACK, WHITE, Color, ColorParseError
from textual.theme import Theme

from promdash.errors import PromdashError

DEFAULT_THEME = "promdash-dark"
PLOT_COLOURS = 10

# WCAG's minimum contrast ratios: text (AA), and lines and other graphics.
TEXT_CONTRAST = 4.5
LINE_CONTRAST = 3.0
# How much KeyedTable's cursor row (its DEFAULT_CSS) tints the surface with $primary,
# unfocused and focused: status colours are made to read on both.
CURSOR_TINTS = (0.12, 0.22)

# promdash's own palette: the hues `theme_defaults` starts from for plot lines, and
# what `rich_colour` falls back on for a variable nobody defined.
VARIABLE_DEFAULTS: dict[str, str] = {
    "health-up": "#4FC97A",
    "health-down": "#F2615B",
    "health-unknown": "#E8B04B",
    "alert-inactive": "#4FC97A",
    "alert-pending": "#E8B04B",
    "alert-firing": "#F2615B",
    "changed-background": "#5A4A10",
    "stale-foreground": "#888888",
    "plot-axes": "#888888",
    "plot-1": "#5EA1F0",
    "plot-2": "#F0A35E",
    "plot-3": "#4FC97A",
    "plot-4": "#E36FAE",
    "plot-5": "#B18CF2",
    "plot-6": "#E8D45B",
    "plot-7": "#4FD1C5",
    "plot-8": "#F2615B",
    "plot-9": "#9BB8D9",
    "plot-10": "#C3E88D",
}

# Health and alert state take the meaning of the theme's own colours.
_STATUS_FROM = {
    "health-up": "success",
    "health-down": "error",
    "health-unknown": "warning",
    "alert-inactive": "success",
    "alert-pending": "warning",
    "alert-firing": "error",
}

_THEME_FIELDS = {f.name for f in fields(Theme)} - {"variables", "name"}


class ThemeFileError(PromdashError):
    """A theme file that cannot be read or does not describe a theme."""


@dataclass(frozen=True, slots=True)
class LoadedThemes:
    themes: list[Theme]
    problems: list[str]  # one line per file that was skipped


def themes_dir() -> Path | None:
    """The bundled themes: `promdash/_data/themes` when installed, `themes/` in a checkout."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (here / "_data" / "themes", here.parent / "themes"):
        if candidate.is_dir():
            return candidate
    return None


def parse_theme(text: str, source: str = "<theme>") -> Theme:
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ThemeFileError(f"{source}: not valid TOML: {exc}") from None
    name = data.pop("name", None)
    if not isinstance(name, str) or not name:
        raise ThemeFileError(f"{source}: a theme needs a `name`")
    variables = data.pop("variables", {})
    if not isinstance(variables, dict):
        raise ThemeFileError(f"{source}: [variables] must be a table of colours")
    unknown = sorted(set(data) - _THEME_FIELDS)
    if unknown:
        raise ThemeFileError(f"{source}: unknown field {unknown[0]!r}")
    if "primary" not in data:
        raise ThemeFileError(f"{source}: a theme needs a `primary` colour")
    for key, value in [*data.items(), *variables.items()]:
        if key in ("dark", "ansi", "luminosity_spread", "text_alpha"):
            continue
        try:
            Color.parse(str(value))
        except ColorParseError:
            raise ThemeFileError(f"{source}: {key} = {value!r} is not a colour") from None
    return Theme(name=name, variables={str(k): str(v) for k, v in variables.items()}, **data)


def load_themes(directory: Path | None = None) -> LoadedThemes:
    """Every `*.toml` theme in `directory` (default: the bundled ones); bad files are skipped."""
    directory = directory or themes_dir()
    themes: list[Theme] = []
    problems: list[str] = []
    if directory is None:
        return LoadedThemes(themes, ["no themes folder found; using textual's themes"])
    for path in sorted(directory.glob("*.toml")):
        try:
            themes.append(parse_theme(path.read_text(encoding="utf-8"), str(path)))
        except (OSError, ThemeFileError) as exc:
            problems.append(str(exc))
    return LoadedThemes(themes, problems)


def rich_colour(variables: dict[str, str], name: str) -> str:
    """A theme variable as a colour Rich understands (`#rrggbb`)."""
    value = variables.get(name) or VARIABLE_DEFAULTS.get(name, "#888888")
    try:
        return Color.parse(value).hex6
    except ColorParseError:
        return VARIABLE_DEFAULTS.get(name, "#888888")


def rgb(variables: dict[str, str], name: str) -> tuple[int, int, int]:
    colour = Color.parse(rich_colour(variables, name))
    return colour.r, colour.g, colour.b


def plot_colours(variables: dict[str, str]) -> list[tuple[int, int, int]]:
    return [rgb(variables, f"plot-{i}") for i in range(1, PLOT_COLOURS + 1)]


def contrast(a: Color, b: Color) -> float:
    """The WCAG contrast ratio of two opaque colours: 1 (same) to 21 (black on white)."""
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _luminance(colour: Color) -> float:
    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * linear(colour.r) + 0.7152 * linear(colour.g) + 0.0722 * linear(colour.b)


def readable(colour: Color, backgrounds: Sequence[Color], ratio: float) -> Color:
    """`colour`, darkened (on light backgrounds) or lightened just enough to reach `ratio`
    against every one of `backgrounds`; the hue stays, so red still reads as red."""
    towards = BLACK if contrast(BLACK, backgrounds[0]) > contrast(WHITE, backgrounds[0]) else WHITE
    for step in range(41):
        candidate = colour.blend(towards, step / 40)
        if min(contrast(candidate, b) for b in backgrounds) >= ratio:
            return candidate
    return towards


def _solid(value: str, under: Color) -> Color:
    """A theme colour as drawn on `under`: an ANSI colour as textual's RGB for it, the
    terminal's own default (unknown here) or a transparent one as `under`."""
    try:
        colour = Color.parse(value)
    except ColorParseError:
        return under
    if colour.ansi == -1:
        return under
    # Without its ANSI number: blending an ANSI colour gives the ANSI colour back.
    return under.blend(Color(colour.r, colour.g, colour.b), colour.a)


def _tint(under: Color, over: Color, strength: float, texts: Sequence[Color]) -> Color:
    """`under` tinted with `over`, at most `strength`, as strongly as `texts` still read on it."""
    for step in range(10, 0, -1):
        tint = under.blend(over, strength * step / 10)
        if all(contrast(text, tint) >= TEXT_CONTRAST for text in texts):
            return tint
    return under


def theme_defaults(theme: Theme) -> dict[str, str]:
    """promdash's variables for `theme`, for those it does not define.

    Health and alert state start from the theme's success, warning and error, plot
    lines from promdash's palette: each is darkened or lightened until text reads
    (TEXT_CONTRAST) on every background it is drawn on (the theme's background,
    surface and panel, the table's cursor rows) and lines show (LINE_CONTRAST) on the
    plot's. A changed alert's row is a tint kept light enough for them to read on it.
    """
    system = {**theme.to_color_system().generate(), **theme.variables}
    # An ANSI theme draws on the terminal's own background: assume the one its `dark` says.
    terminal = BLACK if theme.dark else WHITE
    background = _solid(system["background"], terminal)
    surface = _solid(system["surface"], background)

    def colour(name: str, made: Color | None = None) -> Color:
        if name not in system and made is not None:
            return made
        return _solid(system.get(name, "#888888"), surface)

    # An ANSI theme's cursor row is reversed, not tinted (KeyedTable's CSS).
    tints = () if theme.ansi else CURSOR_TINTS
    cursors = [surface.blend(colour("primary"), tint) for tint in tints]
    text_on = [background, surface, colour("panel"), *cursors]
    if "changed-background" in system:
        text_on.append(colour("changed-background"))
    lines_on = [background, surface]
    status = {n: readable(colour(base), text_on, TEXT_CONTRAST) for n, base in _STATUS_FROM.items()}
    warning_tint = _tint(surface, colour("warning"), 0.25, list(status.values()))
    changed = colour("changed-background", warning_tint)
    muted = colour("foreground").blend(background, 0.4)

    made = {
        **status,
        "changed-background": changed,
        "stale-foreground": readable(muted, text_on, TEXT_CONTRAST),
        "plot-axes": readable(muted, lines_on, TEXT_CONTRAST),  # its tick labels are text
    }
    for i in range(1, PLOT_COLOURS + 1):
        hue = Color.parse(VARIABLE_DEFAULTS[f"plot-{i}"])
        made[f"plot-{i}"] = readable(hue, lines_on, LINE_CONTRAST)
    return {name: c.hex6 for name, c in made.items()}
