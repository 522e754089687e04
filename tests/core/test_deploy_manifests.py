"""deploy/kubernetes: every object valid against the Kubernetes API schemas (strict: a misspelt field fails), and
the promises an operator relies on: every queue Hub uses has a worker pool, probes on /healthz and /readyz,
secrets only from the cluster's Secret, a migration job, autoscalers and disruption budgets for each
Deployment."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from hub import composition
from hub.runtime import queues

FOLDER = Path(__file__).resolve().parents[2] / "deploy" / "kubernetes"
KUBERNETES = "1.30"


def _objects() -> list[tuple[str, dict[str, Any]]]:
    kustomization = yaml.safe_load((FOLDER / "kustomization.yaml").read_text())
    files = [*kustomization["resources"], "migrate.yaml"]
    return [(name, document) for name in files for document in yaml.safe_load_all((FOLDER / name).read_text())
            if document]


def _of_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {obj["metadata"]["name"]: obj for _, obj in _objects() if obj["kind"] == kind}


def test_every_file_in_the_folder_is_applied_or_named_and_every_object_is_valid() -> None:
    listed = {name for name, _ in _objects()} | {"kustomization.yaml"}
    assert {path.name for path in FOLDER.glob("*.yaml")} == listed
    for name, obj in _objects():
        try:
            kubernetes_validate.validate(obj, KUBERNETES, strict=True)
        except kubernetes_validate.ValidationError as error:
            pytest.fail(f"{name}: {obj['kind']} {obj['metadata']['name']}: {error.message}")


def _containers(deployment: dict[str, Any]) -> list[dict[str, Any]]:
    return deployment["spec"]["template"]["spec"]["containers"]


def _workers() -> dict[str, dict[str, Any]]:
    return {name: deployment for name, deployment in _of_kind("Deployment").items()
            if _containers(deployment)[0]["command"][:2] == ["hub", "worker"]}


def test_every_queue_hub_uses_has_a_worker_pool() -> None:
    """Each queue class, the legacy `bulk` queue (jobs queued before an upgrade) and every timer's queue."""
    used = set(queues.ALL) | {job.queue for job in composition.periodic()}
    served: list[str] = []
    for deployment in _workers().values():
        command = _containers(deployment)[0]["command"]
        served += command[command.index("--queues") + 1:]
    assert used <= set(served), f"no worker takes {sorted(used - set(served))}"
    assert len(served) == len(set(served)), "a queue served by two pools is scaled by neither"
    assert {"hub-worker-inbound", "hub-worker-outbound"} <= set(_workers())


def test_every_worker_gives_its_job_back_before_kubernetes_kills_it() -> None:
    """SIGKILL comes terminationGracePeriodSeconds after SIGTERM: the worker's grace (HUB_WORKER_GRACE_SECONDS,
    from the ConfigMap unless the container sets its own) must end at least 5 s before, for its goodbye."""
    default = float(_of_kind("ConfigMap")["hub-config"]["data"]["HUB_WORKER_GRACE_SECONDS"])
    for name, deployment in _workers().items():
        own = {item["name"]: item["value"] for item in _containers(deployment)[0].get("env", [])}
        grace = float(own.get("HUB_WORKER_GRACE_SECONDS", default))
        assert grace + 5 <= deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"], name


def test_the_api_is_probed_and_every_deployment_scales_and_survives_a_drain() -> None:
    deployments = _of_kind("Deployment")
    api = _containers(deployments["hub-api"])[0]
    assert api["command"][:2] == ["hub", "serve"]
    assert api["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert api["readinessProbe"]["httpGet"]["path"] == "/readyz"
    autoscaled = {obj["spec"]["scaleTargetRef"]["name"] for obj in _of_kind("HorizontalPodAutoscaler").values()}
    budgets = {tuple(sorted(obj["spec"]["selector"]["matchLabels"].items()))
               for obj in _of_kind("PodDisruptionBudget").values()}
    for name, deployment in deployments.items():
        assert name in autoscaled, f"{name} has no autoscaler"
        assert tuple(sorted(deployment["spec"]["selector"]["matchLabels"].items())) in budgets, f"{name}: no budget"
        container = _containers(deployment)[0]
        assert container["resources"]["requests"], f"{name} requests nothing"
        assert deployment["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] is True


def test_secrets_come_from_the_cluster_and_the_migration_runs_as_a_job() -> None:
    config = _of_kind("ConfigMap")["hub-config"]["data"]
    assert not {"HUB_SECRET_KEY", "HUB_DATABASE_URL", "HUB_REDIS_URL", "STRIPE_SECRET_KEY"} & set(config)
    assert not _of_kind("Secret")  # never in these files
    containers = [c for d in _of_kind("Deployment").values() for c in _containers(d)]
    migrate = _of_kind("Job")["hub-migrate"]
    containers += migrate["spec"]["template"]["spec"]["containers"]
    for container in containers:
        assert {"secretRef": {"name": "hub-secrets"}} in container["envFrom"]
    assert migrate["spec"]["template"]["spec"]["containers"][0]["command"] == ["hub", "migrate"]
