"""`promdash alerts` and the range/tail legends at a terminal's width, on recorded answers.

The answers in tests/data/recorded/ come from a real demo stack
(scripts/record-fixtures.py). The readers below take the text apart the way a
person reads it (columns under their headers, legend entries between swatches)
and fail on any line wider than the terminal, any text that crosses into the
next column, and any label or word cut across lines. The integration tests in
tests/integration/test_query_cli.py use them on the real CLI and demo stack.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from promdash.present.output import PLOT_MAX_SERIES, alerts_text, legend
from promdash.present.text import alert_rows
from promdash.prom.types import QueryResult, RuleGroup
from promdash.prom.wire import decode_query, decode_rules

RECORDED = Path(__file__).resolve().parent.parent / "data" / "recorded"
NOW = 1795712486.17  # when the answers were recorded (manifest.json)
WIDTHS = [80, 120]

HEADERS = ["STATE", "ALERT", "LABELS", "ACTIVE SINCE", "VALUE", "SUMMARY"]
# With an Alertmanager, `promdash alerts` adds its side after the labels.
READ_HEADERS = [*HEADERS[:3], "ALERTMANAGER", "RECEIVERS", *HEADERS[3:]]
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*"'
LABELS = re.compile(rf"{LABEL}(?:, {LABEL})*")
ONE_LINE_OF_LABELS = re.compile(rf"{LABEL}(?:, {LABEL})*,?")
SWATCH = re.compile(r"(?:━━|--) ")


def parse_labels(text: str) -> dict[str, str]:
    return dict(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', text))


# ---------------------------------------------------------------- readers


@dataclass
class AlertTable:
    shared: dict[str, str]  # the `all:` labels above the table
    columns: list[str]  # the headers shown
    rows: list[dict[str, list[str]]]  # each row: header -> the lines of its cell
    totals: str


def read_alert_table(text: str, width: int) -> AlertTable:
    """The alerts table as read at `width`; asserts that every line fits and that
    no text crosses the two-space gap between columns."""
    lines = text.splitlines()
    too_wide = [line for line in lines if len(line) > width]
    assert not too_wide, f"wider than {width}: {too_wide[0]!r}"
    at = next(i for i, line in enumerate(lines) if line.startswith("STATE "))
    shared_text = " ".join(line.strip() for line in lines[:at])
    assert not shared_text or shared_text.startswith("all: "), shared_text
    for line in lines[1:at]:
        assert line.startswith("     "), "the all: line continues under itself"
    header = lines[at]
    columns = [h for h in READ_HEADERS if re.search(rf"(^|  ){h}(  |$)", header)]
    starts = [header.index(h) for h in columns]
    blank = lines.index("", at)
    rows: list[dict[str, list[str]]] = []
    for line in lines[at + 1 : blank]:
        for start in starts[1:]:
            assert line[start - 2 : start].strip() == "", f"crosses a column at {start}: {line!r}"
        cells = [line[a:b].strip() for a, b in zip(starts, [*starts[1:], None], strict=True)]
        if cells[0]:
            rows.append({c: [] for c in columns})
        else:
            assert rows, line
            assert not cells[1], f"an alert name on a continued row: {line!r}"
        for column, cell in zip(columns, cells, strict=True):
            if cell:
                rows[-1][column].append(cell)
    assert lines[blank + 1 :] and len(lines) == blank + 2, "one totals line after a blank"
    return AlertTable(parse_labels(shared_text), columns, rows, lines[-1])


def check_labels_cell(lines: Sequence[str]) -> dict[str, str]:
    """The labels of one row's LABELS cell; each line holds whole labels only."""
    if lines == ["-"]:
        return {}
    for line in lines:
        assert ONE_LINE_OF_LABELS.fullmatch(line), f"a label cut across lines: {line!r}"
    joined = " ".join(lines)
    assert LABELS.fullmatch(joined), joined
    return parse_labels(joined)


@dataclass
class Legend:
    shared: str  # the `all:` text, its lines joined
    entries: list[tuple[str, str]]  # (name, latest value) of each entry, in order


def read_legend(lines: Sequence[str], width: int) -> Legend:
    """A legend's lines as read at `width`: the `all:` line, then entries between swatches."""
    too_wide = [line for line in lines if len(line) > width]
    assert not too_wide, f"wider than {width}: {too_wide[0]!r}"
    shared: list[str] = []
    entries: list[tuple[str, str]] = []
    for line in lines:
        if line.startswith("all: ") or (shared and not entries and line.startswith("     ")):
            shared.append(line.strip())
        elif SWATCH.match(line):
            for entry in SWATCH.split(line)[1:]:
                name, _, value = entry.strip().rpartition("  ")
                assert name and value, f"an entry split across lines: {entry!r}"
                entries.append((name.strip(), value))
        else:
            assert line.lstrip().startswith("…"), f"not a legend line: {line!r}"
    return Legend(" ".join(shared).removeprefix("all: "), entries)


def check_legend(lines: Sequence[str], width: int, metrics: Sequence[Mapping[str, str]]) -> Legend:
    """Shared labels said once, and each plotted series by what sets it apart, whole."""
    read = read_legend(lines, width)
    assert sum(line.startswith("all: ") for line in lines) == 1
    shared = parse_labels(read.shared)
    name = read.shared.split("{", 1)[0]
    assert shared or name, "the shared labels are said"
    plotted = metrics[:PLOT_MAX_SERIES]
    assert len(read.entries) == len(plotted)
    for (entry, _), metric in zip(read.entries, plotted, strict=True):
        own = {k: v for k, v in metric.items() if k != "__name__" and shared.get(k) != v}
        assert not set(parse_labels(entry)) & set(shared), f"a shared label repeated: {entry}"
        as_labels = parse_labels(entry) == own and entry.strip("{}").count('="') == len(own)
        as_values = entry == " ".join(v for _, v in sorted(own.items()))
        assert as_labels or as_values, f"{entry!r} is not {own}"
        if name:
            assert metric.get("__name__") == name and not entry.startswith(name)
    return read


# ---------------------------------------------------------------- alerts


@pytest.fixture(scope="module")
def groups() -> list[RuleGroup]:
    return decode_rules((RECORDED / "rules.json").read_bytes())


@pytest.mark.parametrize("width", WIDTHS)
def test_alerts_fit_the_width_with_whole_labels_and_words(
    groups: list[RuleGroup], width: int
) -> None:
    table = read_alert_table(alerts_text(groups, NOW, width=width), width)
    alerts = alert_rows(groups)
    assert len(table.rows) == len(alerts) == 4
    # Every recorded alert is of job example-random: said once, above the table.
    assert table.shared == {"job": "example-random"}
    for row, alert in zip(table.rows, alerts, strict=True):
        assert row["STATE"] == ["firing"] and row["ALERT"] == [alert.rule.name]
        own = check_labels_cell(row["LABELS"])
        assert {**own, **table.shared} == {
            k: v for k, v in alert.labels.items() if k != "alertname"
        }
        if "SUMMARY" in table.columns:
            # Words whole: the lines joined by a space give the summary back.
            assert " ".join(row["SUMMARY"]) == alert.annotations["summary"]
    # Narrow terminals leave the summary out rather than cut every column.
    assert table.columns == (HEADERS if width >= 120 else HEADERS[:5])


def test_alerts_say_what_their_totals_count(groups: list[RuleGroup]) -> None:
    text = alerts_text(groups, NOW, width=120)
    # 4 alerts from 3 rules; the dashboard's tab counts the rules.
    assert text.splitlines()[-1] == "4 firing alerts (3 rules), 0 pending alerts, 0 inactive rules"
    firing = alerts_text(groups, NOW, state="firing")
    assert firing.splitlines()[-1] == "4 firing alerts (3 rules)"


def test_alerts_in_a_pipe_keep_one_line_per_alert(groups: list[RuleGroup]) -> None:
    lines = alerts_text(groups, NOW).splitlines()
    assert lines[0].split()[-1] == "ANNOTATIONS" and len(lines) == 1 + 4 + 2
    assert all('job="example-random"' in line for line in lines[1:5])


# ---------------------------------------------------------------- legends


def recorded_range(name: str) -> QueryResult:
    return decode_query((RECORDED / f"{name}.json").read_bytes())


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize(
    ("answer", "keep"),
    [
        ("query_range_up", {"job": "example-random"}),  # shared: the name and job
        ("query_range_rpc_rate", {"instance": "127.0.0.1:38861"}),  # one instance, no name
        ("query_range_scrape_duration", {}),  # shared: the name only
    ],
)
def test_range_legend_says_shared_labels_once_and_keeps_entries_whole(
    width: int, answer: str, keep: dict[str, str]
) -> None:
    result = recorded_range(answer)
    series = [s for s in result.matrix if keep.items() <= s.metric.items()]
    assert len(series) >= 2
    lines = legend(series, color=False, width=width).splitlines()
    check_legend(lines, width, [s.metric for s in series])


def test_a_legend_too_wide_for_its_labels_names_series_by_their_values() -> None:
    series = recorded_range("query_range_rpc_rate").matrix
    wide = read_legend(legend(series, color=False, width=120).splitlines(), 120)
    narrow = read_legend(legend(series, color=False, width=60).splitlines(), 60)
    assert wide.entries[0][0] == 'instance="127.0.0.1:38861", service="exponential"'
    assert narrow.entries[0][0] == "127.0.0.1:38861 exponential"
    assert [value for _, value in wide.entries] == [value for _, value in narrow.entries]


def test_the_width_search_counts_lines_as_the_wrap_makes_them() -> None:
    """A terminal's table chooses its column widths by counting lines from the parts'
    lengths alone (5,000 alerts would otherwise be wrapped hundreds of times); the count
    must be the number of lines the cell is then wrapped into, at every width, for
    parts wider than the column, empty parts, colour codes and several paragraphs."""
    from promdash.present.output import _line_count, _width, _wrap

    parts = ["a", "", "bb", "ccc,", "\x1b[31mred\x1b[0m", "x" * 17, 'instance="10.0.0.1:9100",']
    parts += ["\x1b[31m\x1b[0m", "", "\x1b[1m"]  # colour codes alone: no width, yet text
    cells = [[parts[i : i + n] for i in range(0, len(parts), n)] for n in (1, 2, 3, 7)]
    cells += [[parts[7:] + parts[:3]], [["", "\x1b[0m", "ab"]], [["\x1b[0m", "", "ab"]]]
    cells += [[["word"] * k, ["y" * k]] for k in range(6)] + [[[]], []]
    for cell in cells:
        shape = tuple(tuple(_width(p) if p else -1 for p in paragraph) for paragraph in cell)
        for width in range(0, 40):
            assert _line_count(shape, width) == len(_wrap(cell, width)), (cell, width)
