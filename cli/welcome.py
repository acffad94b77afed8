"""What `berth dev` prints: how to connect an agent to an endpoint, first run and later."""

from __future__ import annotations

import json

TOKEN_VAR = "BERTH_TOKEN"


def connect_lines(name: str, url: str, token: str, endpoint: str) -> list[str]:
    """Paste-ready lines for Claude Code, Codex and Claude Desktop (through mcp-remote)."""
    desktop = {"mcpServers": {name: {
        "command": "npx",
        "args": ["-y", "mcp-remote", url, "--header", "Authorization:${AUTH_HEADER}"],
        "env": {"AUTH_HEADER": f"Bearer {token}"},
    }}}
    return [
        f"  MCP URL: {url}",
        f"  token:   {token}   (shown once; `berth tokens issue {endpoint}` makes another)",
        "",
        "  Claude Code:",
        f'    claude mcp add --transport http {name} {url} --header "Authorization: Bearer {token}"',
        "  Codex:",
        f"    export {TOKEN_VAR}={token}",
        f"    codex mcp add {name} --url {url} --bearer-token-env-var {TOKEN_VAR}",
        "  Claude Desktop (claude_desktop_config.json):",
        *("    " + line for line in json.dumps(desktop, indent=2).splitlines()),
    ]


def later_lines(endpoints: list[tuple[str, str]]) -> list[str]:
    """For later starts: the URLs, and how to get a token (one is never printed twice)."""
    lines = [f"  {name}: {url}" for name, url in endpoints]
    lines.append("  Tokens are shown once, when issued: `.venv/bin/berth tokens issue <endpoint>`.")
    return lines


def dashboard_lines(base_url: str, email: str) -> list[str]:
    """Where the dashboard is and how to sign in as the demo user (its password is random and never shown)."""
    return [
        f"Dashboard: {base_url}/app",
        f"  Sign in as {email}: at {base_url}/login choose 'Mail me a link',",
        f"  then open the link from {base_url}/dev/mail (mail in berth dev never leaves this machine).",
    ]
