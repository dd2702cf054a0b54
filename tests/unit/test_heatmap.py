"""Histograms as heatmaps (promdash.present.heatmap): bucket rows by time columns.

On constructed answers, on a classic histogram recorded from the real demo exporter
scraped by Debian's Prometheus 2.42 (tests/data/recorded-histogram/, recorded by the
script beside it), and on the Prometheus 3 answers built from the API documentation
(tests/data/prom3/, native histograms and `le="1.0"`; not recorded: see its README).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from promdash.grafana.model import load_dashboard
from promdash.present.heatmap import Bounds, Heatmap, cell_text, has_histograms, heatmaps
from promdash.prom import wire
from promdash.prom.types import Histogram, HistogramBucket, QueryResult, Series

DATA = Path(__file__).resolve().parent.parent / "data"
INF = math.inf


def _decode(path: Path) -> QueryResult:
    endpoint = "/api/v1/query_range" if "range" in path.name else "/api/v1/query"
    return wire.decode_query(path.read_bytes(), endpoint)


def _bucket(le: str, values: list[float], **labels: str) -> Series:
    metric = {"__name__": "x_bucket", **labels, "le": le}
    return Series(metric, [10.0 * (i + 1) for i in range(len(values))], values)


def test_cumulative_buckets_become_counts_ordered_by_bound_with_inf_last() -> None:
    # In the server's order (by label text): +Inf first, "10" before "2.5".
    result = QueryResult(
        "matrix",
        matrix=[
            _bucket("+Inf", [12, 20]),
            _bucket("10", [11, 18]),
            _bucket("2.5", [6, 10]),
            _bucket("0.5", [1, 4]),
        ],
    )
    [heatmap] = heatmaps(result)
    assert [b.upper for b in heatmap.rows] == [0.5, 2.5, 10, INF]
    assert heatmap.rows[0].lower == -INF and heatmap.rows[2].lower == 2.5
    assert heatmap.counts == [[1, 5, 5, 1], [4, 6, 8, 2]]
    assert heatmap.starts == [10.0, 20.0]
    assert heatmap.labels == {}
    assert heatmap.cell(1, 2).bounds.text() == "(2.5, 10]"
    assert heatmap.cell(1, 3).bounds.text() == "(10, +Inf]"


def test_2x_and_3x_spellings_of_le_give_the_same_heatmap() -> None:
    two = [_bucket(le, v) for le, v in (("1", [3]), ("0.5", [1]), ("+Inf", [4]))]
    three = [_bucket(le, v) for le, v in (("1.0", [3]), ("0.5", [1]), ("+Inf", [4]))]
    a, b = (
        heatmaps(QueryResult("matrix", matrix=two)),
        heatmaps(QueryResult("matrix", matrix=three)),
    )
    assert a == b and a[0].counts == [[1, 2, 1]]


def test_histograms_with_other_labels_each_get_a_heatmap_named_by_them() -> None:
    series = [
        _bucket(le, [v * k], job=job)
        for job, k in (("api", 1), ("web", 10))
        for le, v in (("1", 2), ("+Inf", 5))
    ]
    maps = heatmaps(QueryResult("matrix", matrix=series))
    assert [m.labels for m in maps] == [
        {"__name__": "x_bucket", "job": "api"},
        {"__name__": "x_bucket", "job": "web"},
    ]
    assert maps[1].counts == [[20, 30]]


def test_a_dip_below_the_bucket_under_it_is_no_negative_count_and_a_hole_is_no_zero() -> None:
    result = QueryResult(
        "matrix",
        matrix=[
            _bucket("1", [5, 5]),
            _bucket("2", [4.9999, math.nan]),
            _bucket("+Inf", [6, 7]),
        ],
    )
    [heatmap] = heatmaps(result)
    assert heatmap.counts[0] == [5, 0, 1]
    assert heatmap.counts[1][1] != heatmap.counts[1][1]  # NaN: no sample
    assert heatmap.counts[1][2] == 2
    assert "no sample" in cell_text(heatmap.cell(1, 1), "12:00")


def test_series_without_le_or_native_samples_are_not_histograms() -> None:
    plain = QueryResult("matrix", matrix=[Series({"__name__": "up"}, [1.0], [1.0])])
    assert not has_histograms(plain) and heatmaps(plain) == []
    assert not has_histograms(None)
    bad = QueryResult("matrix", matrix=[_bucket("fast", [1])])
    assert has_histograms(bad) and heatmaps(bad) == []


def test_resampling_merges_neighbours_and_keeps_every_count() -> None:
    rows = [Bounds(float(i), float(i + 1)) for i in range(10)]
    counts = [[float(c * 10 + r) for r in range(10)] for c in range(7)]
    counts[3][4] = math.nan
    heatmap = Heatmap({}, [float(c) for c in range(7)], [c + 0.5 for c in range(7)], rows, counts)
    small = heatmap.resample(3, 4)
    assert (small.columns, small.height) == (3, 4)
    total = sum(c for col in counts for c in col if math.isfinite(c))
    assert sum(c for col in small.counts for c in col) == total
    assert small.rows[0] == Bounds(0, 2) and small.rows[-1].upper == 10
    assert [(s, e) for s, e in zip(small.starts, small.ends, strict=True)] == [
        (0, 1.5),
        (2, 3.5),
        (4, 6.5),
    ]
    # Merged rows and columns tile the originals: neighbours meet, nothing is skipped.
    assert all(a.upper == b.lower for a, b in zip(small.rows, small.rows[1:], strict=False))
    # A heatmap that fits is returned as it is, never stretched.
    assert heatmap.resample(100, 100) is heatmap
    # Every cell NaN stays NaN (no sample), not 0.
    empty = Heatmap({}, [0.0, 1.0], [0.0, 1.0], rows[:1], [[math.nan], [math.nan]]).resample(1, 1)
    assert math.isnan(empty.counts[0][0])


def test_a_cell_outside_the_heatmap_is_an_index_error() -> None:
    heatmap = Heatmap({}, [0.0], [0.0], [Bounds(0, 1)], [[1.0]])
    assert heatmap.cell(0, 0).count == 1
    with pytest.raises(IndexError):
        heatmap.cell(1, 0)
    with pytest.raises(IndexError):
        heatmap.cell(0, -1)


def test_native_buckets_become_rows_by_their_bounds_and_boundary_rules() -> None:
    result = _decode(DATA / "prom3" / "query_range_native_histogram.json")
    assert has_histograms(result)
    maps = heatmaps(result)
    assert len(maps) == 2 and all(m.native for m in maps)
    assert maps[0].labels["http.route"] == "/cart"
    cart = maps[0]
    uppers = [b.upper for b in cart.rows]
    assert uppers == sorted(uppers)
    # Every count of each sample is in its column, none lost and none invented.
    histograms = result.matrix[0].histograms
    for column, (_, histogram) in zip(cart.counts, histograms, strict=True):
        assert sum(column) == histogram.count == sum(b.count for b in histogram.buckets)
    assert cart.starts == [t for t, _ in histograms]
    # The zero bucket is [-0.001, 0.001] (rule 3), a negative one [lower, upper) (rule 1).
    texts = [b.text() for b in cart.rows]
    assert "[-0.001, 0.001]" in texts
    assert "[-1.682, -1.414)" in texts and "(3.364, 4]" in texts
    # The /pay series has float samples too: only its histogram samples are cells.
    assert maps[1].columns == 1


def test_an_instant_native_histogram_is_one_column() -> None:
    result = _decode(DATA / "prom3" / "query_native_histogram.json")
    maps = heatmaps(result)
    assert [m.columns for m in maps] == [1, 1]
    assert sum(maps[0].counts[0]) == 10
    assert maps[1].rows == [] and maps[1].max_count() == 0


def test_native_buckets_merge_to_the_height_with_counts_summed() -> None:
    buckets = [
        HistogramBucket(0, 2 ** (i / 8), 2 ** ((i + 1) / 8), float(i % 3)) for i in range(160)
    ]
    histogram = Histogram(sum(b.count for b in buckets), 1.0, buckets)
    result = QueryResult("matrix", matrix=[Series({}, [], [], [(1.0, histogram)])])
    [heatmap] = heatmaps(result)
    small = heatmap.resample(80, 20)
    assert small.height == 20 and sum(small.counts[0]) == histogram.count
    assert small.rows[0].lower == 1 and small.rows[-1].upper == 2**20


def test_prom3_classic_le_answer_orders_buckets_numerically() -> None:
    result = _decode(DATA / "prom3" / "query_range_classic_le.json")
    [heatmap] = heatmaps(result)
    assert heatmap.rows[-1].upper == INF
    uppers = [b.upper for b in heatmap.rows]
    assert uppers == sorted(uppers)
    assert all(sum(col) == pytest.approx(total) for col, total in zip(
        heatmap.counts, [1050, 1060, 1070], strict=True))  # fmt: skip


RECORDED = DATA / "recorded-histogram"


def test_the_demo_exporters_histogram_summed_by_le_is_one_heatmap() -> None:
    result = _decode(RECORDED / "query_range_histogram_sum_by_le.json")
    [heatmap] = heatmaps(result)
    assert heatmap.labels == {}
    # 20 linear buckets from the exporter's normal distribution, and +Inf.
    assert heatmap.height == 21 and heatmap.rows[-1].upper == INF
    assert heatmap.rows[0].upper == pytest.approx(-0.00099)
    uppers = [b.upper for b in heatmap.rows]
    assert uppers == sorted(uppers)
    assert heatmap.columns >= 10
    inf = next(s for s in result.matrix if s.metric["le"] == "+Inf")
    for column, total in zip(heatmap.counts, inf.values, strict=True):
        assert sum(column) == pytest.approx(total)
    assert heatmap.max_count() > 0


def test_the_demo_exporters_histogram_per_instance_is_one_heatmap_each() -> None:
    result = _decode(RECORDED / "query_range_histogram_by_instance.json")
    maps = heatmaps(result)
    instances = {s.metric["instance"] for s in result.matrix}
    assert len(instances) == 2
    assert {m.labels["instance"] for m in maps} == instances
    assert all("le" not in m.labels and m.height == 21 for m in maps)


def test_on_the_query_window_every_step_is_a_column_and_missing_ones_are_empty() -> None:
    result = QueryResult("matrix", matrix=[_bucket("1", [2, 3]), _bucket("+Inf", [4, 5])])
    # Samples at 10 and 20 in a window from 0 to 40 by 10: five columns, three empty.
    [heatmap] = heatmaps(result, (0.0, 40.0, 10.0))
    assert heatmap.starts == [0, 10, 20, 30, 40]
    assert heatmap.counts[1] == [2, 2] and heatmap.counts[2] == [3, 2]
    assert all(math.isnan(c) for i in (0, 3, 4) for c in heatmap.counts[i])


def test_the_demo_dashboard_has_a_heatmap_of_the_demo_histogram() -> None:
    path = Path(__file__).resolve().parents[2] / "stacks/demo/grafana/dashboards/demo.json"
    [panel] = [p for p in load_dashboard(path).panels() if p.type == "heatmap"]
    [target] = panel.targets
    assert target.format == "heatmap"
    assert target.expr == (
        "sum by (le) (rate(rpc_durations_histogram_seconds_bucket[$__rate_interval]))"
    )
    # As Grafana 12 reads it: buckets already counted by Prometheus, not recalculated.
    raw = json.loads(path.read_text(encoding="utf-8"))
    [options] = [p["options"] for p in raw["panels"] if p["type"] == "heatmap"]
    assert options["calculate"] is False and options["yAxis"]["unit"] == "s"
