"""gridPos (24 columns) on a terminal: order and relative sizes kept, readable minimums,
no overlaps, and what is below the screen reachable by scrolling."""

from __future__ import annotations

from itertools import combinations

import pytest

from promdash.grafana.layout import Layout, Rect, layout
from promdash.grafana.model import Dashboard, GridPos, Panel, Row, load_dashboard
from tests.unit.test_grafana_model import DEMO, NODES

SIZES = [(80, 24), (120, 40), (200, 60)]


def overlap(a: Rect, b: Rect) -> bool:
    return (
        a.x < b.x + b.width
        and b.x < a.x + a.width
        and a.y < b.y + b.height
        and b.y < a.y + a.height
    )


def placed(dashboard: Dashboard, width: int, height: int) -> tuple[dict[str, Rect], Layout]:
    items = dashboard.visible()
    found = layout(items, width, height)
    assert len(found.rects) == len(items)
    return {item.title: rect for item, rect in zip(items, found.rects, strict=True)}, found


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_the_test_dashboard_keeps_its_grid(width: int, height: int) -> None:
    rects, found = placed(load_dashboard(NODES), width, height)
    assert not found.stacked
    for a, b in combinations(found.rects, 2):
        assert not overlap(a, b), (a, b)
    assert all(r.x >= 0 and r.x + r.width <= width and r.height >= 1 for r in found.rects)
    # Side by side as in Grafana: one line, one height, meeting without gaps.
    uptime, memory, disk = rects["Uptime"], rects["Memory used"], rects["Filesystem used"]
    assert uptime.y == memory.y == disk.y
    assert uptime.height == memory.height == disk.height
    assert (uptime.x, uptime.x + uptime.width, memory.x + memory.width) == (
        0, memory.x, disk.x,
    )  # fmt: skip
    assert disk.x + disk.width == width
    # Relative sizes: 6 of 24 columns is a quarter, 12 is half.
    assert uptime.width == round(width / 4) and disk.width == width - round(width / 2)
    # Rows are one-line headers across the screen; order is the dashboard's.
    for title in ("Overview", "Details"):
        assert (rects[title].height, rects[title].width) == (1, width)
    ys = [rects[t].y for t in ("Overview", "Uptime", "CPU by mode", "Details",
                               "Scrape durations", "Load (legacy singlestat)")]  # fmt: skip
    assert ys == sorted(ys) and len(set(ys)) == len(ys)
    # A graph is taller than a stat, as h=8 is taller than h=5.
    assert rects["CPU by mode"].height > uptime.height
    assert found.height == max(r.y + r.height for r in found.rects)


def test_the_scale_follows_the_terminal_height() -> None:
    small, _ = placed(load_dashboard(NODES), 80, 24)
    large, _ = placed(load_dashboard(NODES), 200, 60)
    # 24 grid rows fill the screen: h=8 is 8 lines at 24, 20 at 60.
    assert (small["CPU by mode"].height, large["CPU by mode"].height) == (8, 20)
    assert (small["Uptime"].height, large["Uptime"].height) == (5, 13)  # 12.5, halves up


def test_what_does_not_fit_is_below_for_scrolling() -> None:
    _, found = placed(load_dashboard(NODES), 80, 24)
    assert found.height > 24  # 1 + 5 + 8 + 1 + 8 + 4 grid rows at one line each
    assert found.height == 27


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_the_demo_dashboard_fits_one_screen(width: int, height: int) -> None:
    rects, found = placed(load_dashboard(DEMO), width, height)
    assert found.height <= height
    assert rects["Targets up"].width + rects["Firing alerts"].width == width


def test_a_panel_too_short_to_read_pushes_the_lines_below_it() -> None:
    # At 12 lines a grid row is half a line: an h=8 graph would get 4 lines, fewer than 6.
    rects, found = placed(load_dashboard(NODES), 120, 12)
    cpu, net, uptime = (
        rects["CPU by mode"],
        rects["Network traffic (legacy graph)"],
        rects["Uptime"],
    )
    assert cpu.height == net.height == 6 and cpu.y == net.y
    assert uptime.height >= 3
    for a, b in combinations(found.rects, 2):
        assert not overlap(a, b)


def test_a_terminal_too_narrow_for_the_grid_stacks_panels_in_order() -> None:
    dashboard = load_dashboard(NODES)
    items = dashboard.visible()
    found = layout(items, 30, 24)
    assert found.stacked
    assert all((r.x, r.width) == (0, 30) for r in found.rects)
    ys = [r.y for r in found.rects]
    assert ys == sorted(ys) and len(set(ys)) == len(ys)
    assert found.height == sum(r.height for r in found.rects)


def test_items_outside_the_grid_are_clamped() -> None:
    wide = Panel(type="stat", title="w", grid=GridPos(x=20, y=0, w=10, h=4))
    row = Row(title="r", grid=GridPos(x=0, y=4, w=24, h=1), collapsed=True)
    found = layout([wide, row], 120, 24)
    assert found.rects[0] == Rect(100, 0, 20, 4)
    assert found.rects[1] == Rect(0, 4, 120, 1)
