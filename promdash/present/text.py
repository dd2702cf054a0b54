"""Pieces of text both front ends show: labels, series names, alert rows, clipped cells."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from urllib.parse import urlsplit

from promdash.prom.am_types import AlertmanagerAlert, Silence
from promdash.prom.promql import LEGACY_NAME, promql_string, quote_label_name
from promdash.prom.types import AlertingRule, AlertState, Histogram, RuleGroup
from promdash.timefmt import short_duration, value_text

# Characters one table cell or printed field shows at most: a broken exporter's
# 5 MB label value must not flood a terminal or stall the dashboard. --json and
# --csv print every value whole.
CELL_LIMIT = 300
# A detail pane shows more of one value (an expression, a target's labels).
DETAIL_LIMIT = 2000

_POSITION = re.compile(r"(?:^|[^\d])(\d+):(\d+): parse error")


def size_text(count: int) -> str:
    """A byte count for people: `312 B`, `4.1 kB`, `5.2 MB`."""
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if count >= size:
            return f"{count / size:.1f} {unit}"
    return f"{count} B"


def clip(text: str, limit: int = CELL_LIMIT) -> str:
    """`text`, or its first `limit` characters and how much was cut: `abc…(+5.2 MB)`."""
    if len(text) <= limit:
        return text
    cut = len(text[limit:].encode("utf-8", "surrogatepass"))
    return f"{text[:limit]}…(+{size_text(cut)})"


@lru_cache(maxsize=16384)  # fleets repeat their labels: env="production" 5,000 times
def _pair(name: str, value: str) -> str:
    return f"{quote_label_name(name)}={promql_string(value)}"


def labels_text(labels: Mapping[str, str], skip: Collection[str] = ()) -> str:
    """Labels as PromQL writes them, sorted: `group="canary", le="0.5"`; "" for none."""
    return ", ".join(_pairs(labels, skip))


def label_parts(labels: Mapping[str, str], skip: Collection[str] = ()) -> list[str]:
    """`labels_text` in the pieces a line may break between, each label whole with its
    comma: `['group="canary",', 'le="0.5"']`."""
    return listed_parts(_pairs(labels, skip))


def _pairs(labels: Mapping[str, str], skip: Collection[str]) -> list[str]:
    if skip:
        return [_pair(k, v) for k, v in sorted(labels.items()) if k not in skip]
    return [_pair(k, v) for k, v in sorted(labels.items())]


def listed_parts(items: Sequence[str]) -> list[str]:
    """Items as the parts of a list a line may break between: `['a,', 'b']`."""
    return [item + "," for item in items[:-1]] + list(items[-1:])


def series_name(metric: Mapping[str, str], common: Mapping[str, str] | None = None) -> str:
    """A series as Prometheus writes it, `up{instance="a:9100", job="node"}`, leaving out
    the `common` labels every series shares (a legend shows those once)."""
    return " ".join(series_parts(metric, common))


def series_parts(metric: Mapping[str, str], common: Mapping[str, str] | None = None) -> list[str]:
    """`series_name` in the pieces a line may break between, each label whole:
    `['up{instance="a:9100",', 'job="node"}']`."""
    name = metric.get("__name__", "")
    pairs = [
        _pair(k, v)
        for k, v in sorted(metric.items())
        if k != "__name__" and not (common and k in common)
    ]
    if name and not LEGACY_NAME.match(name):  # a UTF-8 name goes inside the braces
        pairs.insert(0, promql_string(name))
        name = ""
    elif not pairs:
        return [name or "{}"]
    parts = listed_parts(pairs)
    parts[0] = name + "{" + parts[0]
    parts[-1] += "}"
    return parts


def histogram_text(histogram: Histogram, *, short: bool = False) -> str:
    """A native histogram sample in a cell: `histogram: count 10, sum 20, 8 buckets`, or
    `short` (a legend's latest value) `count 10, sum 20`; -o json has every bucket."""
    text = f"count {value_text(histogram.count)}, sum {value_text(histogram.sum)}"
    if short:
        return text
    buckets = len(histogram.buckets)
    return f"histogram: {text}, {buckets} bucket{'' if buckets == 1 else 's'}"


def distinct_name(metric: Mapping[str, str], common: Mapping[str, str]) -> str:
    """A series by what it does not share with the others (`common`, `__name__` included
    when they all have one name): `service="uniform"`; a legend says `common` once."""
    rest = {k: v for k, v in metric.items() if k not in common and k != "__name__"}
    name = metric.get("__name__", "") if "__name__" not in common else ""
    if name:  # a UTF-8 name alone is still `{"a.b"}`
        return series_name({"__name__": name, **rest})
    return labels_text(rest) or series_name(metric)


def legend_common(metrics: Sequence[Mapping[str, str]]) -> dict[str, str]:
    """What a legend says once: the common labels, and the metric name when all share one."""
    common = common_labels(metrics)
    names = {m.get("__name__") for m in metrics}
    if len(metrics) > 1 and len(names) == 1 and None not in names:
        common["__name__"] = str(names.pop())
    return common


def distinct_values(metric: Mapping[str, str], common: Mapping[str, str]) -> str:
    """`canary 127.0.0.1:8082`: the values of the labels `distinct_name` shows, for a
    legend too narrow for their names."""
    return " ".join(v for k, v in sorted(metric.items()) if k not in common and k != "__name__")


def common_labels(metrics: Sequence[Mapping[str, str]]) -> dict[str, str]:
    """Labels with one value across every series (shown once, not in every legend entry)."""
    if len(metrics) < 2:
        return {}
    first = metrics[0]
    return {
        k: v for k, v in first.items() if k != "__name__" and all(m.get(k) == v for m in metrics)
    }


def error_position(message: str) -> tuple[int, int] | None:
    """(line, column), 1-based, of a PromQL parse error such as `1:7: parse error: ...`."""
    match = _POSITION.search(message)
    return (int(match.group(1)), int(match.group(2))) if match else None


def short_scrape_error(error: str, scrape_url: str) -> str:
    """A scrape error without the `Get "URL": ` prefix the row above already shows, nor
    the `dial tcp HOST:PORT: ` that repeats the target's address."""
    prefix = f'Get "{scrape_url}": '
    short = error[len(prefix) :] if error.startswith(prefix) else error
    address = urlsplit(scrape_url).netloc
    dial = f"dial tcp {address}: "
    return short[len(dial) :] if address and short.startswith(dial) else short


# ---------------------------------------------------------------- alerts


@dataclass(frozen=True, slots=True)
class AlertRow:
    """One alert instance, or one inactive rule (no instances): what an alert list shows."""

    rule: AlertingRule
    state: AlertState
    labels: dict[str, str]
    annotations: dict[str, str]
    active_at: datetime | None
    value: str | None


STATE_ORDER = {"firing": 0, "pending": 1, "inactive": 2}


def headline(annotations: Mapping[str, str]) -> str:
    """What an alert says of itself in one row: its summary, else its description."""
    return annotations.get("summary") or annotations.get("description", "")


def alert_counts(groups: Iterable[RuleGroup]) -> dict[str, tuple[int, int]]:
    """For `firing` and `pending`: (alerts, rules) in that state, so a title can say both;
    the alerts listed or only counted (a storm's rule)."""
    rules = [rule for group in groups for rule in group.alerting]
    return {
        state: (sum(r.count(state) for r in rules), sum(r.state == state for r in rules))
        for state in ("firing", "pending")
    }


def alert_counts_text(groups: Iterable[RuleGroup]) -> str:
    """`3 firing (1 rule) · 1 pending`: alerts, with their rules when fewer; '' for none."""
    parts = []
    for state, (alerts, rules) in alert_counts(groups).items():
        if alerts:
            part = f"{alerts} {state}"
            if rules != alerts:
                part += f" ({rules} rule{'' if rules == 1 else 's'})"
            parts.append(part)
    return " · ".join(parts)


def alert_rows(groups: Sequence[RuleGroup], state: str | None = None) -> list[AlertRow]:
    """Every alert, firing first, then pending, then inactive rules; by rule, then labels."""
    rows: list[AlertRow] = []
    for group in groups:
        for rule in group.alerting:
            if rule.alerts:
                rows.extend(
                    AlertRow(rule, a.state, a.labels, a.annotations, a.active_at, a.value)
                    for a in rule.alerts
                )
            else:
                labels = {"alertname": rule.name, **rule.labels}
                rows.append(AlertRow(rule, "inactive", labels, rule.annotations, None, None))
    if state is not None:
        rows = [r for r in rows if r.state == state]
    rows.sort(key=lambda r: (STATE_ORDER[r.state], r.rule.name, _labels_key(r.labels)))
    return rows


def _labels_key(labels: Mapping[str, str]) -> str:
    """Labels in one string that sorts as their sorted pairs do (a storm's 5,000 alerts
    of one rule compare as one string each, not as lists of pairs: 4x faster)."""
    return "\x00".join(f"{k}\x01{v}" for k, v in sorted(labels.items()))


# ---------------------------------------------------------------- Alertmanager's side


def alertmanager_index(alerts: Iterable[AlertmanagerAlert]) -> dict[str, list[AlertmanagerAlert]]:
    """Alertmanager's alerts by alertname, for `alertmanager_alert`."""
    index: dict[str, list[AlertmanagerAlert]] = {}
    for alert in alerts:
        index.setdefault(alert.labels.get("alertname", ""), []).append(alert)
    return index


def alertmanager_alert(
    labels: Mapping[str, str], index: Mapping[str, Sequence[AlertmanagerAlert]]
) -> AlertmanagerAlert | None:
    """The alert Alertmanager holds for a Prometheus alert with these labels.

    Alertmanager's labels are Prometheus's plus its external labels, so every
    label of the Prometheus alert must be there with the same value.
    """
    candidates = index.get(labels.get("alertname", ""), ())
    return next(
        (a for a in candidates if all(a.labels.get(k) == v for k, v in labels.items())), None
    )


def alertmanager_state_parts(
    alert: AlertmanagerAlert, by_fingerprint: Mapping[str, AlertmanagerAlert]
) -> list[str]:
    """What Alertmanager does with an alert, in words a line may break between:
    `active`, `suppressed: silenced by 8c1f2e3d` (a silence's short ID), `suppressed:
    inhibited by InstanceDown` (the inhibiting alert's name)."""
    if alert.state != "suppressed":
        return [alert.state]
    parts = ["suppressed:"]
    if alert.silenced_by:
        parts += ["silenced", "by", *listed_parts([short_id(i) for i in alert.silenced_by])]
    if alert.inhibited_by:
        if alert.silenced_by:
            parts[-1] += ";"
        names = [inhibitor_name(fp, by_fingerprint) for fp in alert.inhibited_by]
        parts += ["inhibited", "by", *listed_parts(list(dict.fromkeys(names)))]
    return parts


def short_id(silence_id: str) -> str:
    """A silence ID's first 8 characters, as git shortens hashes: enough to tell silences
    apart and to expire one (`promdash silence expire` takes a unique prefix)."""
    return silence_id[:8]


def inhibitor_name(fingerprint: str, by_fingerprint: Mapping[str, AlertmanagerAlert]) -> str:
    """An inhibiting alert by its name, else its fingerprint (it may have been resolved
    since). Its other labels are mostly the inhibited alert's own (`equal:`)."""
    alert = by_fingerprint.get(fingerprint)
    return alert.labels.get("alertname", fingerprint) if alert is not None else fingerprint


def silence_remaining(silence: Silence, now: float) -> str:
    """`1h59m` left of an active silence, `starts in 5m` for a pending one, `-` once expired."""
    if silence.state == "active":
        return short_duration(silence.ends_at.timestamp() - now)
    if silence.state == "pending":
        return f"starts in {short_duration(silence.starts_at.timestamp() - now)}"
    return "-"


def silence_mutes(silence: Silence, alerts: Iterable[AlertmanagerAlert]) -> int:
    """How many current alerts the silence mutes, as Alertmanager says (`silencedBy`)."""
    return sum(silence.id in alert.silenced_by for alert in alerts)


SILENCE_ORDER = {"active": 0, "pending": 1, "expired": 2}


def silence_rows(silences: Iterable[Silence], state: str | None = None) -> list[Silence]:
    """Active silences first (ending soonest first), then pending, then expired (latest
    first); `state` None leaves out the expired ones, "all" keeps every one."""
    if state is None:
        kept = [s for s in silences if s.state != "expired"]
    else:
        kept = [s for s in silences if state in ("all", s.state)]

    def key(s: Silence) -> tuple[int, float]:
        order = SILENCE_ORDER[s.state]
        if s.state == "pending":
            return order, s.starts_at.timestamp()
        return order, -s.ends_at.timestamp() if s.state == "expired" else s.ends_at.timestamp()

    return sorted(kept, key=key)
