"""PromQL completion and graph lines for Prometheus 3's names and answers (pure parts).

Prometheus 3 takes any UTF-8 metric or label name, quoted, a metric's inside the
braces: `{"http.server.request.duration", "service.name"="checkout"}`. The names
here are the ones in the Prometheus 3 answers of tests/data/prom3 (built from the
upstream documentation); tests/tui/test_prom3_views.py types them in the app.
"""

from __future__ import annotations

import pytest

from promdash.prom.types import Histogram, QueryResult, Series
from promdash.tui.completion import Catalog, apply, complete
from promdash.tui.plot import HISTOGRAM_NOTES, graph_lines, legend

DURATION = "http.server.request.duration"
HI = '"say \\"hi\\""'  # the value `say "hi"` as a PromQL string
CATALOG = Catalog(
    metrics=[DURATION, "http_requests_total", "up"],
    label_names={
        "": ["__name__", "job", "service.name"],
        DURATION: ["__name__", "http.route", "job", "service.name"],
    },
    label_values={("service.name", DURATION): ["checkout", 'say "hi"']},
)


def accept(text: str, cursor: int | None = None, pick: str = "") -> tuple[str, int]:
    """`text` after accepting the completion `pick` (else the first) at `cursor` (else the end)."""
    cursor = len(text) if cursor is None else cursor
    completion = complete(text, cursor, CATALOG)
    assert completion.candidates, f"nothing completes {text!r}"
    candidate = next((c for c in completion.candidates if c.text == (pick or c.text)), None)
    assert candidate is not None, [c.text for c in completion.candidates]
    return apply(text, cursor, completion.context, candidate)


@pytest.mark.parametrize(
    ("typed", "pick", "after"),
    [
        # A metric name typed bare: the braces and quotes Prometheus 3 needs.
        ("http.ser", "", '{"http.server.request.duration"}'),
        ("rate(http", DURATION, 'rate({"http.server.request.duration"}'),
        # Typed whole, it is still offered: it must be quoted to be read.
        (DURATION, "", '{"http.server.request.duration"}'),
        # Typed inside its quotes: the quote is closed.
        ('{"http.s', DURATION, '{"http.server.request.duration"'),
        # A UTF-8 label name, bare or in its quotes, inside braces and in `by (`.
        ('{"http.server.request.duration", serv', "", f'{{"{DURATION}", "service.name"="'),
        ('{"http.server.request.duration", "serv', "", f'{{"{DURATION}", "service.name"="'),
        ('{"serv', "service.name", '{"service.name"="'),
        ('sum by ("serv', "service.name", 'sum by ("service.name"'),
        ("sum by (serv", "service.name", 'sum by ("service.name"'),
        # A value of a UTF-8 label of a UTF-8 metric, escaped as PromQL writes it.
        (f'{{"{DURATION}", "service.name"="ch', "", f'{{"{DURATION}", "service.name"="checkout"'),
        (f'{{"{DURATION}", "service.name"=~"', 'say "hi"', f'{{"{DURATION}", "service.name"=~{HI}'),
        # Legacy names as before.
        ("http_req", "", "http_requests_total"),
        (f'{{"{DURATION}", j', "", f'{{"{DURATION}", job="'),
    ],
)  # fmt: skip
def test_utf8_names_are_completed_and_inserted_quoted(typed: str, pick: str, after: str) -> None:
    assert accept(typed, pick=pick) == (after, len(after))


def test_a_closing_quote_already_typed_is_not_doubled() -> None:
    text = '{"http.s"}'
    assert accept(text, cursor=8, pick=DURATION) == ('{"http.server.request.duration"}', 31)


def test_the_labels_and_values_asked_for_belong_to_the_quoted_metric() -> None:
    catalog = Catalog(metrics=[DURATION])
    labels = complete(f'{{"{DURATION}", ', len(DURATION) + 5, catalog).need
    assert labels is not None and (labels.kind, labels.metric) == ("labels", DURATION)
    text = f'sum by (serv) ({{"{DURATION}"}})'
    grouped = complete(text, 12, catalog)
    assert grouped.need is not None and grouped.need.metric == DURATION
    text = f'{{"{DURATION}", job="a,b", "service.name"="'
    values = complete(text, len(text), catalog)
    assert values.need is not None
    assert (values.need.metric, values.need.label) == (DURATION, "service.name")


# ---------------------------------------------------------------- graph lines


def _series(metric: dict[str, str]) -> Series:
    return Series(metric, [1.0], [1.0])


@pytest.mark.parametrize(
    ("label", "values"),
    [
        ("le", ["0.005", "0.1", "0.25", "1.0", "2.5", "10.0", "+Inf"]),
        # Prometheus 3 writes a float label the way Go's %g does: 1e-05, 1.0.
        ("quantile", ["1e-05", "0.05", "0.5", "0.9", "0.99", "1.0"]),
    ],
)
def test_bucket_bounds_and_quantiles_are_ordered_as_numbers(label: str, values: list[str]) -> None:
    shuffled = sorted(values)  # the text order a server answers in: "+Inf" first, "10.0" < "2.5"
    result = QueryResult("matrix", matrix=[_series({"__name__": "x", label: v}) for v in shuffled])
    drawn = graph_lines(result, [(1, 2, 3)], limit=20)
    assert [s.metric[label] for s in drawn.series] == values
    assert [line.name for line in drawn.lines] == [f'{label}="{v}"' for v in values]


def test_native_histogram_samples_are_drawn_by_their_count_in_time_order() -> None:
    series = Series(
        {"__name__": DURATION, "service.name": "checkout"},
        [10.0, 20.0],
        [0.25, 0.5],
        [(30.0, Histogram(10, 20)), (5.0, Histogram(4, 8))],
    )
    (line,) = graph_lines(QueryResult("matrix", matrix=[series]), [(1, 2, 3)]).lines
    assert (list(line.timestamps), list(line.values)) == ([5, 10, 20, 30], [4, 0.25, 0.5, 10])
    assert line.histogram
    for width in (60, 78, 118):
        text = legend([line], {}, width, 6).plain
        assert text.startswith('◆ {"http.server.request.duration", "service.name"=')
        note = text.splitlines()[-1]
        assert note in HISTOGRAM_NOTES and len(note) <= width
        assert "histogram_quantile(" in note
