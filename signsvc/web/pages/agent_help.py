"""Help for officials: how to install and start the signing agent (the page the signing
error "agent not reachable" links to), and a ready-made agent configuration for this site.

Public (no login): an official meets these before anything works on their computer. The
configuration names this site's origin as the only allowed page and the agent port the
service expects; the token's PKCS#11 library is left for the administrator to fill in.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Response, render_template, request

from signsvc.web.auth import services
from signsvc.web.headers import content_disposition
from signsvc.web.pages.common import pages, render

CONFIG_NAME = "signsvc-agent.toml"


def _site_origin() -> str:
    """This site's origin as the browser sees it (``scheme://host[:port]``)."""
    return request.host_url.rstrip("/")


def _agent_port() -> int:
    parts = urlsplit(services().settings.pages.agent_url)
    return parts.port or (443 if parts.scheme == "https" else 80)


@pages.get("/help/agent")
def agent_help() -> Response:
    """Steps to install, configure, check and start signsvc-agent, with the download link."""
    return render("help_agent.html", agent_url=services().settings.pages.agent_url,
                  config_name=CONFIG_NAME, origin=_site_origin())


@pages.get(f"/help/agent/{CONFIG_NAME}")
def agent_config() -> Response:
    """A signsvc-agent configuration that allows this site only (``--check`` accepts it)."""
    text = render_template("agent_config.toml", origin=_site_origin(), port=_agent_port())
    resp = Response(text, mimetype="application/toml")
    resp.headers["Content-Disposition"] = content_disposition(CONFIG_NAME)
    return resp
