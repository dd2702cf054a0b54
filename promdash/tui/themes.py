"""Theme files (TOML) loaded at start-up into textual Theme objects.

A theme file holds textual's own colours at the top level and promdash's colours
(health, alert state, plot lines) under `[variables]`, which panels read through
`App.theme_variables`; CSS reaches them as `$health-up` and so on.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from textual.color import Color, ColorParseError
from textual.theme import Theme

from promdash.errors import PromdashError

DEFAULT_THEME = "promdash-dark"
PLOT_COLOURS = 10

# Fallbacks for themes that do not define promdash's variables (textual's built-in
# themes, or a user theme written for another app).
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
