"""The demo's default images: current releases, named alike everywhere they are named.

promdash's defaults (stack/model.py), the bundled demo stack file, and the
stand-ins scripts/standin-images.sh builds for machines without a registry must
name the same images, or `promdash up` on such a machine pulls (and fails).
"""

from __future__ import annotations

import re
from pathlib import Path

from promdash.stack.model import (
    AlertmanagerSpec,
    GrafanaSpec,
    PrometheusSpec,
    default_stack_path,
    load_stack,
)

STANDINS = Path(__file__).resolve().parents[2] / "scripts" / "standin-images.sh"


def version(image: str) -> tuple[int, ...]:
    tag = image.rsplit(":", 1)[1]
    return tuple(int(part) for part in tag.lstrip("v").split("."))


def test_the_demo_runs_current_releases_pinned() -> None:
    demo = load_stack(default_stack_path())
    assert demo.prometheus.image == PrometheusSpec().image
    assert demo.grafana.image == GrafanaSpec().image
    assert demo.alertmanager.image == AlertmanagerSpec().image
    prometheus, grafana = version(demo.prometheus.image), version(demo.grafana.image)
    alertmanager = version(demo.alertmanager.image)
    assert demo.prometheus.image.startswith("prom/prometheus:v")
    assert prometheus[0] == 3 and len(prometheus) == 3  # a release, not a floating tag
    assert demo.grafana.image.startswith("grafana/grafana:")
    assert grafana[0] == 13 and len(grafana) == 3
    # Alertmanager 0.27 (early 2024) was behind: 0.34 is current.
    assert demo.alertmanager.image.startswith("prom/alertmanager:v")
    assert alertmanager[:2] >= (0, 34) and len(alertmanager) == 3


def test_the_stand_ins_are_built_under_the_default_names() -> None:
    script = STANDINS.read_text()
    defaults = dict(re.findall(r"^(\w+_IMAGE)=\$\{\1:-([^}]+)\}$", script, re.MULTILINE))
    assert defaults["PROM_IMAGE"] == PrometheusSpec().image
    assert defaults["AM_IMAGE"] == AlertmanagerSpec().image
