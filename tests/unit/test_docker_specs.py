"""What `promdash up --runtime docker` asks the engine for, checked without an engine.

The container specs are built by pure functions, so every rule a user relies
on (loopback-only ports, read-only config, no password in the environment,
recreate exactly what changed) is checked here; tests/integration/
test_docker_runtime.py runs the same specs on a real engine.
"""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import yaml

from promdash.stack import docker_specs as dockerrt
from promdash.stack.model import Stack, default_stack_path, parse_stack
from promdash.stack.state import GRAFANA_PASSWORD_FILE, grafana_password, stack_dir
from tests.conftest import demo_stack_text

STATE = Path("/state/stacks/s")


def _stack(**changes: object) -> Stack:
    """The demo stack with Grafana on; `changes` are dotted paths into the YAML."""
    data = yaml.safe_load(
        demo_stack_text(
            "s",
            prometheus_port=19090,
            exporter_ports=(18080, 18081, 18082),
            grafana=True,
            alertmanager_port=19093,
            webhook_port=15001,
        )
    )
    for dotted, value in changes.items():
        *parents, last = dotted.split("__")
        node = data
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        node[last] = value
    return parse_stack(yaml.safe_dump(data), default_stack_path())


def _specs(stack: Stack, **kwargs: object) -> dict[str, dockerrt.ContainerSpec]:
    specs = dockerrt.container_specs(stack, state_directory=STATE, **kwargs)  # type: ignore[arg-type]
    return {s.service: s for s in specs}


def test_every_published_port_is_on_loopback_by_default() -> None:
    specs = _specs(_stack())
    assert list(specs) == [
        "random-1",
        "random-2",
        "random-3",
        "webhook",
        "alertmanager",
        "grafana",
        "prometheus",
    ]
    bindings = {name: dict(spec.ports) for name, spec in specs.items()}
    assert bindings == {
        "prometheus": {9090: ("127.0.0.1", 19090)},
        "grafana": {3000: ("127.0.0.1", 3000)},
        "alertmanager": {9093: ("127.0.0.1", 19093)},
        "webhook": {5001: ("127.0.0.1", 15001)},
        "random-1": {8080: ("127.0.0.1", 18080)},
        "random-2": {8080: ("127.0.0.1", 18081)},
        "random-3": {8080: ("127.0.0.1", 18082)},
    }
    # ... and that is what the engine is handed.
    assert specs["random-1"].create_kwargs()["ports"] == {"8080/tcp": ("127.0.0.1", 18080)}


def test_publish_all_opens_every_interface() -> None:
    # What `--publish-all` does to the stack in cmd_up.
    stack = _stack().model_copy(update={"publish": "all"})
    for spec in _specs(stack).values():
        assert {host for host, _ in spec.ports.values()} == {"0.0.0.0"}


def test_every_container_network_and_volume_is_labelled() -> None:
    for spec in _specs(_stack()).values():
        labels = spec.create_kwargs()["labels"]
        assert labels[dockerrt.LABEL_STACK] == "s"
        assert labels[dockerrt.LABEL_SERVICE] == spec.service
        assert labels[dockerrt.LABEL_MANAGED] == "true"
        assert labels[dockerrt.LABEL_SPEC_HASH] == spec.spec_hash
        assert len(spec.spec_hash) == 64
        assert spec.name == f"promdash-s-{spec.service}"
        assert spec.create_kwargs()["network"] == "promdash-s"
    for labels in (dockerrt.network_labels("s"), dockerrt.volume_labels("s")):
        assert labels[dockerrt.LABEL_STACK] == "s"
        assert labels[dockerrt.LABEL_MANAGED] == "true"
        assert dockerrt.LABEL_SERVICE in labels and dockerrt.LABEL_SPEC_HASH in labels


def test_configuration_is_mounted_read_only_and_data_in_a_named_volume() -> None:
    specs = _specs(_stack())
    prometheus = {m.target: m for m in specs["prometheus"].mounts}
    assert prometheus["/etc/prometheus"].read_only
    assert prometheus["/etc/prometheus"].source == str(STATE / "docker" / "prometheus")
    assert prometheus["/prometheus"].kind == "volume"
    assert prometheus["/prometheus"].source == "promdash-s-prometheus-data"
    assert not prometheus["/prometheus"].read_only

    grafana = {m.target: m for m in specs["grafana"].mounts}
    provisioning = grafana["/etc/grafana/provisioning"]
    assert provisioning.read_only
    assert provisioning.source == str(default_stack_path().parent / "demo" / "grafana")
    assert all(m.read_only for m in grafana.values())

    alertmanager = {m.target: m for m in specs["alertmanager"].mounts}
    assert alertmanager["/etc/alertmanager"].read_only
    assert alertmanager["/etc/alertmanager"].source == str(STATE / "docker" / "alertmanager")
    assert alertmanager["/alertmanager"].kind == "volume"
    assert alertmanager["/alertmanager"].source == "promdash-s-alertmanager-data"
    assert not alertmanager["/alertmanager"].read_only
    labels = dockerrt.volume_labels("s", "alertmanager")
    assert labels[dockerrt.LABEL_SERVICE] == "alertmanager"

    mounts = specs["prometheus"].create_kwargs()["mounts"]
    assert {(m["Target"], m["ReadOnly"]) for m in mounts} == {
        ("/etc/prometheus", True),
        ("/prometheus", False),
    }


def test_prometheus_runs_like_the_official_image_plus_retention() -> None:
    command = _specs(_stack(prometheus__retention="2d"))["prometheus"].command
    assert command[:2] == (
        "--config.file=/etc/prometheus/prometheus.yml",
        "--storage.tsdb.path=/prometheus",
    )
    # No lifecycle API: it would let anyone who reaches the port stop Prometheus.
    assert "--web.enable-lifecycle" not in command
    assert "--storage.tsdb.retention.time=2d" in command


def test_grafana_password_comes_from_the_owner_only_file_never_the_environment() -> None:
    stack = _stack()
    password = grafana_password("s")  # the real file, in the test session's state dir
    directory = stack_dir("s")
    assert (directory / GRAFANA_PASSWORD_FILE).stat().st_mode & 0o077 == 0
    specs = dockerrt.container_specs(stack, state_directory=directory, user="1000:1000")
    spec = next(s for s in specs if s.service == "grafana")

    env = spec.environment
    assert "GF_SECURITY_ADMIN_PASSWORD" not in env
    target = env["GF_SECURITY_ADMIN_PASSWORD__FILE"]
    secret = next(m for m in spec.mounts if m.target == target)
    assert secret.source == str(directory / GRAFANA_PASSWORD_FILE)
    assert secret.read_only
    # The container runs as the file's owner, the only user who can read it.
    assert spec.user == "1000:1000"
    # Nowhere in what the engine is handed: env, labels, command.
    assert password not in repr(spec.create_kwargs())
    assert "admin" not in {v.lower() for v in env.values()}

    assert env["GF_AUTH_ANONYMOUS_ENABLED"] == "true"
    assert env["GF_AUTH_ANONYMOUS_ORG_ROLE"] == "Viewer"
    assert env["GF_USERS_ALLOW_SIGN_UP"] == "false"
    assert env["PROMDASH_PROMETHEUS_URL"] == "http://promdash-s-prometheus:9090"


def test_prometheus_scrapes_exporters_by_container_name() -> None:
    config = yaml.safe_load(dockerrt.generated_files(_stack())["prometheus.yml"])
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert jobs["prometheus"]["static_configs"][0]["targets"] == ["localhost:9090"]
    targets = [
        (c["targets"][0], c["labels"]["group"]) for c in jobs["example-random"]["static_configs"]
    ]
    assert targets == [
        ("promdash-s-random-1:8080", "production"),
        ("promdash-s-random-2:8080", "production"),
        ("promdash-s-random-3:8080", "canary"),
    ]
    assert _specs(_stack())["random-2"].command[0] == "--listen-address=0.0.0.0:8080"


def test_alertmanager_runs_like_the_official_image_alone_and_is_reached_by_name() -> None:
    stack = _stack()
    specs = _specs(stack)
    assert specs["alertmanager"].image == "prom/alertmanager:v0.34.1"
    assert specs["alertmanager"].command == (
        "--config.file=/etc/alertmanager/alertmanager.yml",
        "--storage.path=/alertmanager",
        "--web.external-url=http://127.0.0.1:19093",
        "--cluster.listen-address=",  # no gossip port, no wait for peers
    )
    assert "entrypoint" not in specs["alertmanager"].create_kwargs()
    # Prometheus sends alerts, and Alertmanager notifications, by container name.
    config = yaml.safe_load(dockerrt.generated_files(stack)["prometheus.yml"])
    assert config["alerting"]["alertmanagers"] == [
        {"static_configs": [{"targets": ["promdash-s-alertmanager:9093"]}]}
    ]
    am = yaml.safe_load(specs["alertmanager"].files["alertmanager.yml"])
    assert am["receivers"][0]["webhook_configs"][0]["url"] == "http://promdash-s-webhook:5001/"
    # The webhook receiver runs from the exporter's image.
    webhook = specs["webhook"].create_kwargs()
    assert webhook["image"] == "promdash/random-exporter:0.1.0"
    assert webhook["entrypoint"] == ["python", "-m", "promdash.exporters.webhook"]
    assert webhook["command"] == ["--listen-address=0.0.0.0:5001"]


def test_without_leaves_the_service_out_of_containers_and_scrape_config() -> None:
    specs = _specs(_stack(), without=["grafana", "random-2", "alertmanager"])
    assert set(specs) == {"prometheus", "random-1", "random-3"}
    config = specs["prometheus"].files["prometheus.yml"]
    assert "random-2" not in config and "random-1" in config
    assert "alerting" not in yaml.safe_load(config)
    # Without the webhook receiver, Alertmanager still runs and sends nowhere.
    specs = _specs(_stack(), without=["webhook"])
    assert "webhook" not in specs and "alertmanager" in specs
    assert "webhook_configs" not in specs["alertmanager"].files["alertmanager.yml"]


def test_spec_hash_changes_exactly_where_a_setting_changed() -> None:
    base = {name: spec.spec_hash for name, spec in _specs(_stack()).items()}
    assert base == {name: spec.spec_hash for name, spec in _specs(_stack()).items()}

    def changed(**changes: object) -> set[str]:
        after = {name: spec.spec_hash for name, spec in _specs(_stack(**changes)).items()}
        return {name for name in base if after[name] != base[name]}

    assert changed(exporters__instances__1__args=["--normal.mean=0.0002"]) == {"random-2"}
    assert changed(exporters__instances__2__port=18092) == {"random-3"}
    # Changed scrape configuration or rules reach Prometheus through its mounted files.
    assert changed(exporters__instances__2__group="production") == {"prometheus"}
    assert changed(rules__0__rules__1__for="1m") == {"prometheus"}
    assert changed(prometheus__retention="7d") == {"prometheus"}
    assert changed(prometheus__image="prom/prometheus:v2.54.0") == {"prometheus"}
    assert changed(grafana__port=3001) == {"grafana"}
    assert changed(alertmanager__route={"group_wait": "1s"}) == {"alertmanager"}
    assert changed(alertmanager__port=19094) == {"alertmanager"}
    assert changed(alertmanager__webhook={"port": 15002}) == {"webhook"}
    assert changed(exporters__image="promdash/random-exporter:9") == {
        "random-1",
        "random-2",
        "random-3",
        "webhook",
    }
    assert changed(publish="all") == set(base)


def test_exporter_build_context_carries_the_dockerfile_and_exporter_source() -> None:
    build_dir = default_stack_path().parent / "demo" / "exporter"
    context, digest = dockerrt.exporter_build_context(build_dir)
    with tarfile.open(fileobj=io.BytesIO(context)) as tar:
        names = set(tar.getnames())
    assert "Dockerfile" in names
    assert "promdash/__init__.py" in names
    exporters = Path(dockerrt.promdash.__file__).parent / "exporters"
    assert {f"promdash/exporters/{p.name}" for p in exporters.glob("*.py")} <= names
    # The same source gives the same context, so the engine's build cache is reused.
    assert dockerrt.exporter_build_context(build_dir) == (context, digest)


def test_exporter_dockerfile_pins_its_base_image() -> None:
    dockerfile = (default_stack_path().parent / "demo" / "exporter" / "Dockerfile").read_text()
    assert "FROM python:3.12-slim\n" in dockerfile
    assert "prometheus-client==" in dockerfile
    assert "promdash.exporters.random" in dockerfile
