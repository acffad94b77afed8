"""Observability pieces on their own: the scrubber, route labels, tool labels, the exposition text."""

from __future__ import annotations

import json
import logging
from uuid import uuid4

import pytest
import structlog
from prometheus_client.parser import text_string_to_metric_families

from control_plane.dsn import redact
from control_plane.observability import logs
from control_plane.observability.context import CURRENT, RequestContext
from control_plane.observability.http import route_of
from control_plane.observability.logs import scrub
from control_plane.observability.metrics import Metrics, tool_label
from control_plane.tokens import ENDPOINT_PREFIX, generate


def test_scrub_replaces_tokens_passwords_and_dsn_credentials() -> None:
    token = generate(ENDPOINT_PREFIX)
    event = {"event": f"saw {token}", "dsn": "postgresql://owner:s3cret@db:5432/x",
             "kw": "host=db password=s3cret user=u", "n": 3}
    scrubbed = scrub(None, "info", dict(event))
    assert token not in scrubbed["event"] and "s3cret" not in scrubbed["dsn"] + scrubbed["kw"]
    assert scrubbed["dsn"].startswith("postgresql://[redacted]db") and scrubbed["n"] == 3


def test_routes_are_templates_never_ids_or_slugs() -> None:
    assert route_of({"path": "/e/shop-abc123/mcp"}) == "/e/{slug}/mcp"
    assert route_of({"path": "/e/shop-abc123/whatever/else"}) == "/e/{other}"
    assert route_of({"path": "/v1/nothing-here"}) == "unmatched"
    matched = {"path": "/v1/endpoints/ab12/tokens/cd34", "route": object(),
               "path_params": {"endpoint": "ab12", "token_id": "cd34"}}
    assert route_of(matched) == "/v1/endpoints/{endpoint}/tokens/{token_id}"
    assert route_of({"path": "/.well-known/oauth-protected-resource/e/x/mcp"}) == \
        "/.well-known/oauth-protected-resource"


def test_tool_labels_are_bounded() -> None:
    assert tool_label("query") == "query"
    assert tool_label("get_orders_by_id") == "get_*"
    assert tool_label("anything_a_client_made_up") == "other"


def test_metrics_render_as_prometheus_text() -> None:
    metrics = Metrics()
    metrics.request("/e/{slug}/mcp", "POST", 200, 0.003)
    metrics.tool_call("count_orders_by_status", "ok", 0.002)
    metrics.refused("second")
    names = {s.name: s.value for f in text_string_to_metric_families(metrics.render().decode())
             for s in f.samples}
    assert names["berth_http_requests_total"] == 1
    assert names["berth_tool_calls_total"] == 1 and names["berth_rate_limited_total"] == 1
    assert names["berth_http_request_duration_seconds_count"] == 1


def test_each_metrics_object_has_its_own_registry() -> None:
    first, second = Metrics(), Metrics()
    first.refused("month")
    counted = [s for f in text_string_to_metric_families(second.render().decode()) for s in f.samples
               if s.name == "berth_rate_limited_total"]
    assert counted == []


def test_redacted_addresses_keep_every_host_and_drop_the_password() -> None:
    assert redact("redis+cluster://u:s3cret@h1:7000,h2:7001/0") == "redis+cluster://u@h1:7000,h2:7001/0"
    assert redact("postgresql://u:s3cret@[::1]:5432/db?sslmode=require") == "postgresql://u@[::1]:5432/db"


def test_the_json_access_line_is_what_the_processor_chain_writes(capsys: pytest.CaptureFixture[str]) -> None:
    # The access line skips structlog's chain for speed: same fields, same request fields, still scrubbed.
    context = RequestContext("smcp_" + "a" * 30, tenant_id=uuid4(), endpoint_id=uuid4())
    token, root = CURRENT.set(context), logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        logs.configure("info", "json")
        logs.access("POST", "/e/{slug}/mcp", "/e/shop/mcp", 200, 1.25)
        fast = json.loads(capsys.readouterr().err)
        structlog.get_logger("berth.access").info("request", method="POST", route="/e/{slug}/mcp",
                                                  path="/e/shop/mcp", status=200, ms=1.25)
        chained = json.loads(capsys.readouterr().err)
        logs.configure("warning", "json")
        logs.access("POST", "/e/{slug}/mcp", "/e/shop/mcp", 200, 1.25)
        quiet = capsys.readouterr().err
    finally:
        CURRENT.reset(token)
        structlog.reset_defaults()
        logs.access = logs._chained_access
        root.handlers[:], root.level = handlers, level
    assert fast.pop("timestamp").endswith("Z") and chained.pop("timestamp").endswith("Z")
    assert fast == chained
    assert fast["request_id"] == "[redacted]" and fast["endpoint_id"] == str(context.endpoint_id)
    assert quiet == ""
