"""Composition root: the only place where adapters are wired into the domain's ports.

``create_app`` (the Flask app), ``build_services`` (the typed ``Services`` container, for
the app and the command line), ``prepare_state`` (state files, before workers fork) and
``signsvc.app.console`` (the lighter assemblies console commands need). Each feature's
wiring is a builder in ``signsvc.app.builders``; every state file is opened by
``builders.stores`` at the path ``Settings.paths`` names.
"""

from __future__ import annotations

from flask import Flask

from signsvc.app.builders.keys import open_keys
from signsvc.app.builders.policy import load_policy
from signsvc.app.root import build_services
from signsvc.app.state import prepare_state
from signsvc.services.container import Services
from signsvc.settings import Settings, load_settings

__all__ = ["build_services", "create_app", "load_policy", "open_keys", "prepare_state"]


def create_app(settings: Settings | None = None, services: Services | None = None, *,
               reloading: bool = False) -> Flask:
    """The Flask app; builds settings and services unless given (tests give their own)."""
    from signsvc.web import create_web_app

    settings = settings or load_settings()
    services = services or build_services(settings, reloading=reloading)
    return create_web_app(services)
