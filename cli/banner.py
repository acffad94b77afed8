"""What a starting process says it serves and where, one line each, with no secret in them."""

from __future__ import annotations

from control_plane.settings import Settings

ROLES = {
    "api": "the control plane: /v1 (OpenAPI at /docs), sign-in pages, OAuth authorization server",
    "gateway": "the MCP gateway: /e/<slug>/mcp, llms.txt, manifest.json, protected-resource metadata",
    "worker": "the job worker: provisioning, deletions, imports, reconcile, usage flush",
}


def lines(role: str, settings: Settings, *, metrics_public: bool) -> list[str]:
    listen = f"http://{settings.host}:{settings.port}"
    said = [f"berth {role}: {ROLES[role]}"]
    if role == "worker":
        said.append(f"  health: {listen}/healthz and /readyz")
    else:
        public = settings.gateway_base_url if role == "gateway" else settings.base_url
        said.append(f"  listening on {listen}, public URL {public}")
    said.append(f"  metrics: {_metrics_where(settings, listen, metrics_public)}")
    return said


def _metrics_where(settings: Settings, listen: str, public: bool) -> str:
    places = [f"{listen}/metrics"] if public else []
    if settings.metrics_port is not None:
        places.append(f"http://{settings.host}:{settings.metrics_port}/metrics")
    return ", ".join(places) or "not exposed (set BERTH_METRICS_PORT or BERTH_METRICS_PUBLIC)"
