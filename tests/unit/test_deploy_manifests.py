"""The deployment files under deploy/ checked without a container engine: every Kubernetes object
against the vendored schema of its kind (Kubernetes 1.33, standalone-strict), the compose file
against the compose-spec schema, and the invariants the services rely on. Each check returns its
problems; the `_catches_` tests feed it a broken copy to show that it can fail.
"""

import copy
import json
import re
import shlex
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from schemas.topics import DIRECTORY, REPORTS, TOPICS, TRIGGERS

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SCHEMAS = ROOT / "tests" / "schemas"
K8S_SCHEMA = {
    ("v1", "ConfigMap"): "configmap-v1.json",
    ("v1", "Secret"): "secret-v1.json",
    ("v1", "Service"): "service-v1.json",
    ("apps/v1", "Deployment"): "deployment-apps-v1.json",
    ("apps/v1", "StatefulSet"): "statefulset-apps-v1.json",
    ("batch/v1", "Job"): "job-batch-v1.json",
    ("policy/v1", "PodDisruptionBudget"): "poddisruptionbudget-policy-v1.json",
}
PORTS = {"intake": 8000, "stats": 8001, "notifier": 8002, "triggers": 8003, "cases": 8004}
WORKLOADS = {"Deployment", "StatefulSet", "Job"}
FOUR_HUNDRED_DAYS_MS = 400 * 24 * 3600 * 1000


def k8s_objects() -> list[dict[str, Any]]:
    docs = []
    for path in sorted((DEPLOY / "k8s").glob("*.yaml")):
        docs += [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]
    return docs


def compose() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def by_kind(objects: list[dict[str, Any]], *kinds: str) -> list[dict[str, Any]]:
    return [obj for obj in objects if obj["kind"] in kinds]


def schema_problems(obj: dict[str, Any]) -> list[str]:
    key = (obj.get("apiVersion"), obj.get("kind"))
    if key not in K8S_SCHEMA:
        return [f"{key}: no vendored schema for this kind"]
    schema = json.loads((SCHEMAS / "k8s" / K8S_SCHEMA[key]).read_text())
    validator = jsonschema.Draft202012Validator(schema)
    name = obj.get("metadata", {}).get("name")
    return [f"{key[1]}/{name}: {e.json_path}: {e.message}" for e in validator.iter_errors(obj)]


def probe_problems(workload: dict[str, Any]) -> list[str]:
    """Every service container is probed for readiness and liveness on /healthz at its port."""
    problems = []
    for container in workload["spec"]["template"]["spec"]["containers"]:
        port = PORTS[container["args"][0]]
        for probe in ("readinessProbe", "livenessProbe"):
            get = container.get(probe, {}).get("httpGet", {})
            if get.get("path") != "/healthz" or get.get("port") != port:
                problems.append(f"{workload['metadata']['name']}: {probe} {get} != /healthz:{port}")
    return problems


def security_problems(workload: dict[str, Any]) -> list[str]:
    """Pods run as a non-root user without privilege escalation."""
    name = workload["metadata"]["name"]
    pod = workload["spec"]["template"]["spec"]
    problems = []
    if pod.get("securityContext", {}).get("runAsNonRoot") is not True:
        problems.append(f"{name}: runAsNonRoot is not set")
    if pod.get("securityContext", {}).get("runAsUser", 0) == 0:
        problems.append(f"{name}: runs as uid 0")
    for container in pod["containers"]:
        context = container.get("securityContext", {})
        if context.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{name}: allows privilege escalation")
        if "limits" not in container.get("resources", {}):
            problems.append(f"{name}: no resource limits")
    return problems


def image_problems(images: list[str]) -> list[str]:
    """Every image is pinned to a tag other than latest."""
    problems = []
    for image in images:
        tag = image.rpartition("/")[2].partition(":")[2]
        if not tag or tag == "latest":
            problems.append(f"{image}: not pinned")
    return problems


def topic_commands(script: str) -> tuple[list[str], dict[str, list[str]]]:
    """The shared kafka-topics.sh arguments (`t() {...}`) and each topic's own arguments."""
    shared: list[str] = []
    topics: dict[str, list[str]] = {}
    for line in script.splitlines():
        if line.startswith("t() {"):
            shared = shlex.split(line.removeprefix("t() {").removesuffix("}"))
        elif line.startswith("t "):
            args = shlex.split(line)[1:]
            topics[args[args.index("--topic") + 1]] = args
    return shared, topics


def _option(args: list[str], name: str) -> str | None:
    return args[args.index(name) + 1] if name in args else None


def _configs(args: list[str]) -> dict[str, str]:
    return dict(args[i + 1].split("=", 1) for i, arg in enumerate(args) if arg == "--config")


def topic_problems(script: str, *, replication: int, min_isr: int) -> list[str]:
    """The script creates each topic of schemas/topics.py with its partitions and configs."""
    shared, created = topic_commands(script)
    problems = []
    if _option(shared, "--replication-factor") != str(replication):
        problems.append(f"replication factor is not {replication}: {shared}")
    if _configs(shared).get("min.insync.replicas") != str(min_isr):
        problems.append(f"min.insync.replicas is not {min_isr}: {shared}")
    if "--if-not-exists" not in shared:
        problems.append("not idempotent: --if-not-exists missing")
    for spec in TOPICS:
        args = created.get(spec.name)
        if args is None:
            problems.append(f"{spec.name}: not created")
            continue
        if _option(args, "--partitions") != str(spec.partitions):
            problems.append(f"{spec.name}: partitions {_option(args, '--partitions')}")
        if _configs(args) != spec.config:
            problems.append(f"{spec.name}: config {_configs(args)} != {spec.config}")
    for name in set(created) - {spec.name for spec in TOPICS}:
        problems.append(f"{name}: not in schemas/topics.py")
    configs = {name: _configs(args) for name, args in created.items()}
    if configs.get(DIRECTORY, {}).get("cleanup.policy") != "compact":
        problems.append("the directory is not compacted")
    for name in (REPORTS, TRIGGERS):
        retention = int(configs.get(name, {}).get("retention.ms", "0"))
        if retention != -1 and retention < FOUR_HUNDRED_DAYS_MS:
            problems.append(f"{name}: retention {retention} ms cannot rebuild 12-month windows")
    return problems


def job_script(objects: list[dict[str, Any]]) -> str:
    (job,) = by_kind(objects, "Job")
    return job["spec"]["template"]["spec"]["containers"][0]["args"][0]


def pdb_problems(objects: list[dict[str, Any]]) -> list[str]:
    """Every long-running workload has a PodDisruptionBudget selecting its pods."""
    selectors = [
        pdb["spec"]["selector"]["matchLabels"] for pdb in by_kind(objects, "PodDisruptionBudget")
    ]
    problems = []
    for workload in by_kind(objects, "Deployment", "StatefulSet"):
        labels = workload["spec"]["template"]["metadata"]["labels"]
        if not any(sel.items() <= labels.items() for sel in selectors):
            problems.append(f"{workload['metadata']['name']}: no PodDisruptionBudget")
    return problems


# --- the files as they are -------------------------------------------------------------------


def test_every_kubernetes_object_matches_its_schema() -> None:
    objects = k8s_objects()
    assert {obj["kind"] for obj in objects} >= {"Deployment", "StatefulSet", "Job", "Service"}
    assert [problem for obj in objects for problem in schema_problems(obj)] == []


def test_compose_file_matches_the_compose_spec() -> None:
    schema = json.loads((SCHEMAS / "compose" / "compose-spec.json").read_text())
    errors = jsonschema.Draft202012Validator(schema).iter_errors(compose())
    assert [f"{e.json_path}: {e.message}" for e in errors] == []


def test_each_service_runs_once_with_probes_on_healthz() -> None:
    workloads = by_kind(k8s_objects(), "Deployment", "StatefulSet")
    commands = sorted(
        c["args"][0] for w in workloads for c in w["spec"]["template"]["spec"]["containers"]
    )
    assert commands == sorted(PORTS)
    assert [problem for w in workloads for problem in probe_problems(w)] == []


def test_pods_run_as_non_root_with_limits() -> None:
    workloads = by_kind(k8s_objects(), *WORKLOADS)
    assert [problem for w in workloads for problem in security_problems(w)] == []
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    users = re.findall(r"^USER (\S+)", dockerfile, re.MULTILINE)
    assert users and users[-1].split(":")[0] not in {"0", "root"}


def test_images_are_pinned() -> None:
    pods = [w["spec"]["template"]["spec"] for w in by_kind(k8s_objects(), *WORKLOADS)]
    images = [c["image"] for pod in pods for c in pod["containers"]]
    images += [service["image"] for service in compose()["services"].values()]
    assert image_problems(images) == []


def test_topics_job_creates_every_topic_replicated() -> None:
    assert topic_problems(job_script(k8s_objects()), replication=3, min_isr=2) == []


def test_compose_creates_the_same_topics_on_one_broker() -> None:
    script = compose()["services"]["topics"]["command"][0].replace("$$", "$")
    assert topic_problems(script, replication=1, min_isr=1) == []


def test_every_workload_has_a_disruption_budget() -> None:
    assert pdb_problems(k8s_objects()) == []


def test_intake_never_runs_two_outbox_relays() -> None:
    (intake,) = [
        d for d in by_kind(k8s_objects(), "Deployment") if d["metadata"]["name"].endswith("intake")
    ]
    assert intake["spec"]["replicas"] == 1
    assert intake["spec"]["strategy"]["type"] == "Recreate"


def test_compose_services_have_healthchecks_on_healthz() -> None:
    services = compose()["services"]
    for name, port in PORTS.items():
        assert f"127.0.0.1:{port}/healthz" in " ".join(services[name]["healthcheck"]["test"])
        assert services[name]["environment"]["HALSOSUPPORT_ENVIRONMENT"] == "development"


# --- each check can fail ---------------------------------------------------------------------


def _workload(name: str) -> dict[str, Any]:
    return copy.deepcopy(next(w for w in k8s_objects() if w["metadata"]["name"] == name))


def _container(workload: dict[str, Any]) -> dict[str, Any]:
    return workload["spec"]["template"]["spec"]["containers"][0]


def test_schema_check_catches_a_misspelt_field() -> None:
    broken = _workload("halsosupport-stats")
    _container(broken)["readinessprobe"] = _container(broken).pop("readinessProbe")
    assert schema_problems(broken)


def test_schema_check_catches_a_wrong_type() -> None:
    broken = _workload("halsosupport-notifier")
    broken["spec"]["replicas"] = "two"
    assert schema_problems(broken)


@pytest.mark.parametrize("probe", ["readinessProbe", "livenessProbe"])
def test_probe_check_catches_a_wrong_port_or_path(probe: str) -> None:
    broken = _workload("halsosupport-triggers")
    _container(broken)[probe]["httpGet"]["port"] = 8000
    assert probe_problems(broken)
    broken = _workload("halsosupport-intake")
    _container(broken)[probe]["httpGet"]["path"] = "/"
    assert probe_problems(broken)
    del _container(broken)[probe]
    assert probe_problems(broken)


def test_security_check_catches_root() -> None:
    broken = _workload("halsosupport-intake")
    del broken["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"]
    assert security_problems(broken)
    broken = _workload("halsosupport-intake")
    broken["spec"]["template"]["spec"]["securityContext"]["runAsUser"] = 0
    assert security_problems(broken)


def test_image_check_catches_latest_and_untagged() -> None:
    assert image_problems(["apache/kafka:latest"])
    assert image_problems(["registry.kommun.se:5000/halsosupport"])
    assert image_problems(["registry.kommun.se:5000/halsosupport:0.1.0"]) == []


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("--replication-factor 3", "--replication-factor 1"),
        ("min.insync.replicas=2", "min.insync.replicas=1"),
        (
            "--topic halsosupport.directory.v1 --partitions 3 --config cleanup.policy=compact",
            "--topic halsosupport.directory.v1 --partitions 3 --config cleanup.policy=delete",
        ),
        (
            "--topic halsosupport.reports.v1 --partitions 6 --config retention.ms=-1",
            "--topic halsosupport.reports.v1 --partitions 6 --config retention.ms=604800000",
        ),
        (
            "--topic halsosupport.triggers.v1 --partitions 6",
            "--topic halsosupport.triggers.v1 --partitions 3",
        ),
        ("t --topic halsosupport.deadletter.v1", "# t --topic halsosupport.deadletter.v1"),
    ],
)
def test_topic_check_catches_a_changed_topic(old: str, new: str) -> None:
    script = job_script(k8s_objects())
    assert old in script
    assert topic_problems(script.replace(old, new), replication=3, min_isr=2)


def test_pdb_check_catches_a_missing_budget() -> None:
    objects = [
        o
        for o in k8s_objects()
        if o["metadata"]["name"] != "halsosupport-triggers" or o["kind"] != "PodDisruptionBudget"
    ]
    assert pdb_problems(objects) == ["halsosupport-triggers: no PodDisruptionBudget"]
