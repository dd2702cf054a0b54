"""Template variables as Grafana's Prometheus datasource sends them (no server needed).

Expected texts are what Grafana produces for the same input, from its sources (the
template service, the format registry, the Prometheus datasource's interpolateQueryExpr,
pkg/promlib's interval and rate-interval code); each case names the rule it checks.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

import pytest

from promdash import timefmt
from promdash.errors import DashboardError
from promdash.grafana.model import ALL, Option, Variable, load_dashboard
from promdash.grafana.variables import (
    apply_regex,
    builtins,
    by_name,
    custom_options,
    duration_text,
    expand_target,
    interpolate,
    interval_text,
    intervals,
    parse_interval,
    parse_query,
    parse_time,
    resolution_order,
    resolve,
    round_interval,
    select,
    variable_regex,
)
from promdash.prom.types import QueryResult, Sample
from tests.unit.test_grafana_model import NODES


def var(name: str, values: Sequence[str], **fields: object) -> Variable:
    base = Variable(name=name, type="custom", current_value=tuple(values),
                    current_text=tuple(values))  # fmt: skip
    return replace(base, **fields)  # type: ignore[arg-type]


def options(*values: str) -> tuple[Option, ...]:
    return tuple(Option(v, v) for v in values)


# ---------------------------------------------------------------- syntaxes


def test_every_syntax_names_the_same_variable() -> None:
    job = by_name([var("job", ["node"])])
    text = 'up{a="$job", b="${job}", c="[[job]]", d="${job:raw}", e="[[job:raw]]"}'
    assert interpolate(text, job) == 'up{a="node", b="node", c="node", d="node", e="node"}'


def test_names_that_are_not_variables_are_left_as_written() -> None:
    variables = by_name([var("instance", ["a"])])
    # \w+ takes the whole name: $instance_name is not $instance followed by "_name".
    text = 'x{i="$instance_name", j="$missing", k="${nope:csv}", l="[[gone]]"} $instance'
    assert interpolate(text, variables) == (
        'x{i="$instance_name", j="$missing", k="${nope:csv}", l="[[gone]]"} a'
    )


def test_a_single_value_is_escaped_for_a_promql_string_only() -> None:
    # Neither multi nor All: backslashes doubled, quotes escaped, regex characters kept.
    variables = by_name([var("v", ["a.b*c"]), var("w", ["it's"]), var("x", ["C:\\dir"])])
    assert interpolate("$v $w $x", variables) == "a.b*c it\\\\'s C:\\\\dir"


def test_multi_values_are_regex_escaped_and_joined_in_parentheses() -> None:
    two = var("host", ["web-1.lab", "db(2)"], multi=True)
    one = var("one", ["web-1.lab"], multi=True)
    variables = by_name([two, one])
    assert interpolate('up{instance=~"$host"}', variables) == (
        'up{instance=~"(web-1\\\\.lab|db\\\\(2\\\\))"}'
    )
    assert interpolate('up{instance=~"$one"}', variables) == 'up{instance=~"web-1\\\\.lab"}'


def test_all_is_every_option_or_the_custom_all_value() -> None:
    every = var("job", [ALL], multi=True, include_all=True,
                options=(Option("All", ALL), *options("node", "prometheus")))  # fmt: skip
    custom = replace(every, name="custom", all_value=".*")
    lonely = replace(every, name="lonely", options=(Option("All", ALL), *options("node")))
    variables = by_name([every, custom, lonely])
    assert interpolate('up{job=~"$job"}', variables) == 'up{job=~"(node|prometheus)"}'
    assert interpolate('up{job=~"$custom"}', variables) == 'up{job=~".*"}'  # not escaped
    assert interpolate('up{job=~"$lonely"}', variables) == 'up{job=~"node"}'
    assert interpolate("${job:text} ${custom:text}", variables) == "All All"
    assert interpolate("${job:csv}", variables) == "node,prometheus"


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("regex", "(a\\.b|c)"),
        ("pipe", "a.b|c"),
        ("csv", "a.b,c"),
        ("raw", "a.b,c"),
        ("text", "A + C"),
        ("glob", "{a.b,c}"),
        ("json", '["a.b","c"]'),
        ("singlequote", "'a.b','c'"),
        ("doublequote", '"a.b","c"'),
        ("queryparam", "var-m=a.b&var-m=c"),
        ("nosuchformat", "{a.b,c}"),  # Grafana falls back to glob
    ],
)
def test_grafana_formats(fmt: str, expected: str) -> None:
    multi = Variable(name="m", type="custom", multi=True, current_value=("a.b", "c"),
                     current_text=("A", "C"))  # fmt: skip
    assert interpolate(f"${{m:{fmt}}}", by_name([multi])) == expected
    assert interpolate(f"[[m:{fmt}]]", by_name([multi])) == expected


def test_the_regex_format_of_one_value_escapes_it_without_parentheses() -> None:
    assert interpolate("${v:regex}", by_name([var("v", ["a.b/c"])])) == "a\\.b\\/c"


# ---------------------------------------------------------------- built-ins


@pytest.mark.parametrize(
    ("raw", "nice"),
    [(0.005, 0.001), (0.1, 0.1), (4, 5), (13, 15), (73, 60), (100, 120), (7200, 7200),
     (3 * 86400, 86400), (10 * 86400, 604800), (30 * 86400, 2592000), (1000 * 86400, 31536000)],
)  # fmt: skip
def test_intervals_round_to_grafanas_nice_table(raw: float, nice: float) -> None:
    assert round_interval(raw) == nice


def test_interval_and_duration_texts() -> None:
    # $__interval is Grafana's largest whole unit; $__rate_interval is exact.
    assert [interval_text(s) for s in (90, 15, 0.2, 86400, 7200)] == ["1m", "15s", "200ms",
                                                                      "1d", "2h"]  # fmt: skip
    assert [duration_text(s) for s in (75, 60, 1.5, 0.25)] == ["1m15s", "1m", "1s500ms", "250ms"]
    for seconds in (75, 60, 1.5, 0.25, 3725):
        assert timefmt.parse_duration(duration_text(seconds)) == seconds  # Prometheus takes it
    assert [parse_interval(t) for t in ("30s", ">10s", "15", "1m30s", "1.5s")] == [
        30, 10, 15, 90, 1.5,
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("range_s", "points", "scrape", "min_step", "step", "rate"),
    [
        (3600, 1000, 15, None, 15, 60),  # 3.6 s per point: the scrape interval is the floor
        (86400, 1000, 15, None, 60, 75),  # 86.4 s -> 1m; rate = 1m + 15s > 4 x 15s
        (6 * 3600, 100, 15, None, 300, 315),
        (3600, 1000, 15, 30, 30, 120),  # a min step is the floor and the rate's scrape
        (30 * 86400, 100000, 15, None, 300, 315),  # never more than 11,000 points
        (3600, 1000, 5, None, 5, 20),  # the demo's 5 s scrape interval: 4 x 5s
    ],
)
def test_step_and_rate_interval_as_grafana_computes_them(
    range_s: float, points: int, scrape: float, min_step: float | None, step: float, rate: float
) -> None:
    found = intervals(range_s, points, scrape_interval=scrape, min_step=min_step)
    assert (found.interval, found.rate_interval) == (step, rate)


def test_builtins_in_a_query() -> None:
    values = builtins(1000.0, 1000.0 + 86400, max_data_points=1000, scrape_interval=15)
    expr = (
        "rate(x[$__rate_interval]) [${__interval}] $__interval_ms $__range ${__range_s} "
        "$__range_ms $__rate_interval_ms"
    )
    assert interpolate(expr, {}, values) == "rate(x[1m15s]) [1m] 60000 86400s 86400 86400000 75000"
    # Without a panel (variable queries) only the range ones exist; the rest stay.
    assert interpolate("$__range $__interval", {}, builtins(0, 3600)) == "3600s $__interval"


def test_a_target_expands_with_its_min_step_and_the_panels_max_data_points() -> None:
    dashboard = load_dashboard(NODES)
    cpu = next(p for p in dashboard.panels() if p.title == "CPU by mode")
    instance = var("instance", ["web-1:9100", "web-2:9100"], multi=True)
    # The panel says: Min interval 30s, max 200 points; 6 h / 200 = 108 s -> nice 2m.
    variables = by_name([instance])
    expr, step = expand_target(
        cpu, cpu.targets[0], variables, start=0.0, end=6 * 3600.0, max_data_points=1000
    )
    assert step == 120
    assert expr == (
        'sum by (mode) (rate(node_cpu_seconds_total{instance=~"(web-1:9100|web-2:9100)"}'
        "[2m30s]))"  # max(2m + 30s, 4 x 30s): the min step stands for the scrape interval
    )
    short, step = expand_target(
        cpu, cpu.targets[0], variables, start=0.0, end=3600.0, max_data_points=1000
    )
    assert step == 30 and short.endswith("[2m]))")


# ---------------------------------------------------------------- variable queries


def test_variable_queries_parse_as_the_prometheus_datasource_reads_them() -> None:
    q = parse_query('label_values(node_uname_info{job=~"$job"}, instance)')
    assert (q.kind, q.metric, q.label) == ("label_values", 'node_uname_info{job=~"$job"}',
                                           "instance")  # fmt: skip
    assert (parse_query("label_values(job)").kind, parse_query("label_values(job)").metric) == (
        "label_values", "",
    )  # fmt: skip
    assert (parse_query("metrics(node_.*)").kind, parse_query("metrics(node_.*)").metric) == (
        "metrics", "node_.*",
    )  # fmt: skip
    result = parse_query("query_result(topk(5, up))")
    assert (result.kind, result.expr) == ("query_result", "topk(5, up)")
    assert parse_query("label_names()").kind == "label_names"
    assert parse_query('up{job="x"}').kind == "series"


def test_a_variable_regex_keeps_its_first_capture_group_or_named_groups() -> None:
    texts = ["web-1:9100", "web-2:9100", "web-1:9200", "nothing"]
    captured = apply_regex(texts, variable_regex(var("i", [], regex="/([^:]+):.*/")))
    assert [o.value for o in captured] == ["web-1", "web-2"]  # unmatched dropped, deduplicated
    named = apply_regex(
        ['up{instance="a:1",job="x"} 1 1000'],
        variable_regex(var("i", [], regex='/instance="(?<value>[^"]+)",job="(?<text>[^"]+)"/')),
    )
    assert named == [Option(text="x", value="a:1")]
    case = apply_regex(["Node", "node"], variable_regex(var("i", [], regex="/^node$/i")))
    assert [o.value for o in case] == ["Node", "node"]
    with pytest.raises(DashboardError, match=r"variable \$i: regex /\(/ is not valid"):
        variable_regex(var("i", [], regex="/(/"))


def test_custom_values_split_on_commas_with_key_value_pairs() -> None:
    assert custom_options("eth0,lo : loopback, wl\\,an0 ") == [
        Option("eth0", "eth0"), Option("lo", "loopback"), Option("wl,an0", "wl,an0"),
    ]  # fmt: skip


def test_a_selection_is_kept_when_still_offered_else_the_first_option() -> None:
    multi = var("h", ["b", "gone"], multi=True, include_all=True)
    assert select(multi, options("a", "b")).current_value == ("b",)
    assert select(replace(multi, current_value=("gone",)), options("a")).current_value == (ALL,)
    single = var("h", ["gone"])
    chosen = select(single, options("a", "b"))
    assert (chosen.current_value, [o.selected for o in chosen.options]) == (("a",), [True, False])


# ---------------------------------------------------------------- order and resolution


def test_chained_variables_resolve_after_those_they_use() -> None:
    dashboard = load_dashboard(NODES)
    order = [v.name for v in resolution_order(dashboard.variables)]
    assert order.index("job") < order.index("instance")
    assert order[:2] == ["job", "instance"]  # otherwise the dashboard's order


def test_a_loop_of_variables_is_one_error_naming_them() -> None:
    a = Variable(name="a", type="query", query='label_values(up{x=~"$b"}, a)')
    b = Variable(name="b", type="query", query='label_values(up{y=~"${c}"}, b)')
    c = Variable(name="c", type="query", query='label_values(up{z=~"[[a]]"}, c)')
    free = Variable(name="free", type="query", query="label_values(job)")
    with pytest.raises(DashboardError) as caught:
        resolution_order([free, a, b, c], "loop.json")
    assert str(caught.value) == (
        "loop.json: templating: variables depend on each other in a loop: $a -> $b -> $c -> $a"
    )
    itself = Variable(name="self", type="query", query='label_values(up{s="$self"}, s)')
    with pytest.raises(DashboardError, match=r"\$self -> \$self$"):
        resolution_order([itself])


class Answers:
    """A server's answers for resolving variables; records what it was asked."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, object]] = []

    async def label_names(self, match: Sequence[str] | None = None) -> list[str]:
        return ["instance", "job"]

    async def label_values(self, label: str, match: Sequence[str] | None = None) -> list[str]:
        self.asked.append((label, list(match or ())))
        if label == "job":
            return ["node", "prometheus"]
        return ["web-2:9100", "web-1:9100", "web-1:9101"]

    async def series(
        self, match: Sequence[str], start: float | None = None, end: float | None = None
    ) -> list[dict[str, str]]:
        return [{"__name__": "up", "job": "node"}]

    async def query(self, expr: str, time: float | None = None) -> QueryResult:
        self.asked.append((expr, time))
        return QueryResult("vector", vector=[Sample({"__name__": "up", "job": "node"}, 1.0, 1.5)])


def test_resolution_runs_chained_queries_with_the_selection_before_them() -> None:
    dashboard = load_dashboard(NODES)
    source = Answers()
    resolved = by_name(asyncio.run(resolve(dashboard.variables, source, start=0.0, end=6 * 3600.0)))
    # job resolved first; its "node" (not multi, with All) is regex-escaped into instance's query.
    assert source.asked == [
        ("job", ["node_uname_info"]), ("instance", ['node_uname_info{job=~"node"}']),
    ]  # fmt: skip
    instance = resolved["instance"]
    assert [o.value for o in instance.options] == [ALL, "web-1", "web-2"]  # regex, sort 1
    assert instance.current_value == (ALL,)
    assert interpolate('up{instance=~"$instance"}', resolved) == 'up{instance=~"(web-1|web-2)"}'
    assert resolved["device"].current_value == ("eth0",)
    assert [o.text for o in resolved["device"].options] == ["eth0", "lo", "wl,an0"]
    # auto: 6h in 30 steps is 12m, nice 10m; "auto" stays the text
    assert (resolved["resolution"].current_text, resolved["resolution"].current_value) == (
        ("auto",), ("10m",),
    )  # fmt: skip
    assert resolved["env"].current_value == ("lab",)
    assert resolved["ds"].current_value == ("Prometheus",)


def test_query_result_texts_are_grafanas() -> None:
    source = Answers()
    query = Variable(name="q", type="query", query="query_result(up)", regex='/job="(.*)"/')
    (resolved,) = asyncio.run(resolve([query], source, start=0.0, end=60.0))
    assert source.asked == [("up", 60.0)]
    assert [o.value for o in resolved.options] == ["node"]
    plain = replace(query, regex="")
    (raw,) = asyncio.run(resolve([plain], source, start=0.0, end=60.0))
    assert raw.options[0].value == 'up{job="node"} 1.5 1000'


def test_never_refreshed_variables_keep_their_saved_options() -> None:
    saved = Variable(name="s", type="query", query="label_values(job)", refresh=0,
                     options=options("kept"), current_value=("kept",))  # fmt: skip
    source = Answers()
    (resolved,) = asyncio.run(resolve([saved], source, start=0.0, end=60.0))
    assert (source.asked, resolved.current_value) == ([], ("kept",))


def test_grafana_times() -> None:
    now = datetime(2026, 12, 1, 15, 30, 45).timestamp()
    assert parse_time("now", now) == now
    assert parse_time("now-6h", now) == now - 6 * 3600
    assert parse_time("now-7d", now) == datetime(2026, 11, 24, 15, 30, 45).timestamp()
    assert parse_time("now/d", now) == datetime(2026, 12, 1).timestamp()
    assert parse_time("now/d", now, round_up=True) == datetime(2026, 12, 2).timestamp() - 0.001
    assert parse_time("now-1d/d", now) == datetime(2026, 11, 30).timestamp()
    assert parse_time("1700000000000", now) == 1700000000.0
    with pytest.raises(ValueError):
        parse_time("yesterday", now)
