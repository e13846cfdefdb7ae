"""Help for officials: how to install and start the signing agent (the page the signing
error "agent not reachable" links to), and a ready-made agent configuration for this site.

Public (no login): an official meets these before anything works on their computer. The
configuration names this site's origin as the only allowed page and the agent port the
service expects; the token's PKCS#11 library is left for the administrator to fill in.
When ``[pages] agent_package_dir`` holds a signsvc wheel, the page links it (name, size,
SHA-256) and ``/help/agent/package`` serves it under its real name (pip needs it); the
request never names a file.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Response, render_template, request

from signsvc.errors import Message, NotFound
from signsvc.services.agent_package import read_package
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


NO_PACKAGE = Message(
    "Trang này chưa có gói cài đặt phần mềm ký số (signsvc-agent); hãy nhận gói từ quản trị viên.",
    "This site offers no package of the signing agent (signsvc-agent); get it from your administrator.")


def _size_text(size: int, lang: str) -> str:
    """``1,2 MB`` (Vietnamese decimal comma) or ``1.2 MB``; kB below a megabyte."""
    value, unit = (size / 1_000_000, "MB") if size >= 1_000_000 else (size / 1000, "kB")
    text = f"{value:.1f}"
    return f"{text.replace('.', ',') if lang == 'vi' else text} {unit}"


@pages.get("/help/agent")
def agent_help() -> Response:
    """Steps to install, configure, check and start signsvc-agent, with the download links
    (the agent's package when ``[pages] agent_package_dir`` holds one, and its configuration)."""
    found = read_package(services().settings.pages.agent_package_dir)
    package = found[0] if found is not None else None
    return render("help_agent.html", agent_url=services().settings.pages.agent_url,
                  config_name=CONFIG_NAME, origin=_site_origin(), package=package,
                  size_text=_size_text)


@pages.get("/help/agent/package")
def agent_package() -> Response:
    """The newest signsvc wheel of ``[pages] agent_package_dir`` under its real name, with
    its SHA-256 in ``X-Content-SHA256``; 404 (a page, in the chosen language) when none."""
    found = read_package(services().settings.pages.agent_package_dir)
    if found is None:
        raise NotFound(NO_PACKAGE)
    package, data = found
    resp = Response(data, mimetype="application/octet-stream")
    resp.headers["Content-Disposition"] = content_disposition(package.name)
    resp.headers["X-Content-SHA256"] = package.sha256
    resp.headers["Cache-Control"] = "no-cache"
    return resp


@pages.get(f"/help/agent/{CONFIG_NAME}")
def agent_config() -> Response:
    """A signsvc-agent configuration that allows this site only (``--check`` accepts it)."""
    text = render_template("agent_config.toml", origin=_site_origin(), port=_agent_port())
    resp = Response(text, mimetype="application/toml")
    resp.headers["Content-Disposition"] = content_disposition(CONFIG_NAME)
    return resp
