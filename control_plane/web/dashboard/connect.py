"""How to connect an MCP client to an endpoint: the lines the endpoint page offers to copy."""

from __future__ import annotations

import json
from dataclasses import dataclass

HEADER = "Authorization: Bearer $BERTH_TOKEN"


@dataclass(frozen=True)
class Snippet:
    id: str
    client: str
    where: str
    text: str


def _desktop(name: str, url: str) -> str:
    server = {"command": "npx", "args": ["-y", "mcp-remote", url, "--header", "Authorization:${BERTH_AUTH}"],
              "env": {"BERTH_AUTH": "Bearer YOUR_TOKEN"}}
    return json.dumps({"mcpServers": {name: server}}, indent=2)


def snippets(slug: str, url: str) -> list[Snippet]:
    name = f"berth-{slug}"
    return [
        Snippet("claude-code", "Claude Code", "Run in a terminal, with BERTH_TOKEN set to a token below.",
                f'claude mcp add --transport http {name} {url} --header "{HEADER}"'),
        Snippet("codex", "Codex", "Add to ~/.codex/config.toml, with BERTH_TOKEN set in the environment.",
                f'[mcp_servers.{name}]\nurl = "{url}"\nbearer_token_env_var = "BERTH_TOKEN"'),
        Snippet("connector", "Claude.ai or ChatGPT connector",
                "Paste as the connector's URL; you sign in and allow it here, no token needed.", url),
        Snippet("desktop", "Claude Desktop (through mcp-remote)",
                "Add to claude_desktop_config.json and put a token in place of YOUR_TOKEN.",
                _desktop(name, url)),
    ]
