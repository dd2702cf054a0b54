"""The demo's alert rules do what their descriptions say, checked by Prometheus's own
rule tester (`promtool test rules`, from Debian's prometheus package) on series
built in the test: no timing, no running server."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from promdash.stack import render
from promdash.stack.model import load_stack
from tests.conftest import IN_CI

pytestmark = pytest.mark.prometheus

DESCRIPTION_MISSED = (
    "Scrapes of a:8080 failed; while InstanceDown fires for it, Alertmanager inhibits this warning."
)
SERIES = 'rpc_durations_seconds_count{job="example-random",instance="a:8080",service="exponential"}'
DESCRIPTION = (
    "The oscillating demo load lowers the rate of job example-random; "
    "this alert shows a rule that is usually inactive."
)


def _promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        message = "no promtool (Debian: apt-get install prometheus)"
        pytest.fail(message) if IN_CI else pytest.skip(message)
    return found


def _test_rules(tmp_path: Path, tests: list[dict[str, object]]) -> subprocess.CompletedProcess[str]:
    (tmp_path / "rules.yml").write_text(render.rules_file(load_stack()))
    spec = {"rule_files": ["rules.yml"], "evaluation_interval": "5s", "tests": tests}
    (tmp_path / "test.yml").write_text(yaml.safe_dump(spec, sort_keys=False))
    return subprocess.run(
        [_promtool(), "test", "rules", "test.yml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_rpc_rate_low_is_inactive_while_a_new_stack_has_little_history(tmp_path: Path) -> None:
    # 10 calls a second, well above the threshold of 5, for the first 3 minutes of a
    # stack: a rate over 5m of 3 minutes' samples reads about 6/s low; it once fired.
    tests = [
        {
            "interval": "5s",
            "input_series": [{"series": SERIES, "values": "0+50x36"}],
            "alert_rule_test": [
                {"eval_time": f"{minute}m", "alertname": "RPCRateLow", "exp_alerts": []}
                for minute in (1, 2, 3)
            ],
        }
    ]
    result = _test_rules(tmp_path, tests)
    assert result.returncode == 0, result.stdout + result.stderr


def test_rpc_rate_low_fires_when_the_rate_really_is_low(tmp_path: Path) -> None:
    tests = [
        {
            "interval": "5s",
            "input_series": [{"series": SERIES, "values": "0+10x120"}],  # 2 calls a second
            "alert_rule_test": [
                {
                    "eval_time": "9m",
                    "alertname": "RPCRateLow",
                    "exp_alerts": [
                        {
                            "exp_labels": {
                                "severity": "info",
                                "job": "example-random",
                                "service": "exponential",
                            },
                            "exp_annotations": {
                                "summary": "Exponential-service request rate is 2.0/s",
                                "description": DESCRIPTION,
                            },
                        }
                    ],
                }
            ],
        }
    ]
    result = _test_rules(tmp_path, tests)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_down_instance_fires_a_warning_at_once_then_the_critical_that_inhibits_it(
    tmp_path: Path,
) -> None:
    """The demo's inhibit rule (critical InstanceDown inhibits the warnings of the same
    instance) has something to inhibit: ScrapesMissed, a warning for the same instance,
    fires from the first failed scrape and goes on firing while InstanceDown does."""
    up = 'up{job="example-random",instance="a:8080"}'
    labels = {"job": "example-random", "instance": "a:8080"}
    tests = [
        {
            "interval": "5s",
            "input_series": [{"series": up, "values": "1 1 1 0x20"}],  # down from 15s
            "alert_rule_test": [
                # One failed scrape (at 15s) is not enough.
                {"eval_time": "15s", "alertname": "ScrapesMissed", "exp_alerts": []},
                {
                    "eval_time": "20s",
                    "alertname": "ScrapesMissed",
                    "exp_alerts": [
                        {
                            "exp_labels": labels | {"severity": "warning"},
                            "exp_annotations": {
                                "summary": "a:8080 missed 2 scrapes in the last minute",
                                "description": DESCRIPTION_MISSED,
                            },
                        }
                    ],
                },
                {
                    "eval_time": "50s",
                    "alertname": "InstanceDown",
                    "exp_alerts": [
                        {
                            "exp_labels": labels | {"severity": "critical"},
                            "exp_annotations": {
                                "summary": "Instance a:8080 is down",
                                "description": "a:8080 of job example-random has not "
                                "answered a scrape for 30 seconds.",
                            },
                        }
                    ],
                },
                {
                    "eval_time": "50s",
                    "alertname": "ScrapesMissed",
                    "exp_alerts": [
                        {
                            "exp_labels": labels | {"severity": "warning"},
                            "exp_annotations": {
                                "summary": "a:8080 missed 8 scrapes in the last minute",
                                "description": DESCRIPTION_MISSED,
                            },
                        }
                    ],
                },
            ],
        }
    ]
    result = _test_rules(tmp_path, tests)
    assert result.returncode == 0, result.stdout + result.stderr
