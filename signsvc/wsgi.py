"""WSGI entry points: ``signsvc.wsgi:create`` for any server, and gunicorn for ``signsvc serve``.

Keys are opened in each worker after it forks (never in the master), so PKCS#11 sessions
are never shared across processes.
"""

from __future__ import annotations

from signsvc.settings import Settings, load_settings


def create():
    """Application factory for ``gunicorn 'signsvc.wsgi:create()'``."""
    from signsvc.app import create_app

    return create_app(load_settings())


def run_gunicorn(settings: Settings, *, host: str | None, port: int | None,
                 workers: int, threads: int) -> None:
    from gunicorn.app.base import BaseApplication

    from signsvc.app import create_app

    bind = f"{host or settings.service.host}:{port or settings.service.port}"
    timeout = int(settings.service.signing_timeout_seconds) + 30

    class _App(BaseApplication):
        def load_config(self) -> None:
            for key, value in {"bind": bind, "workers": workers, "threads": threads,
                               "timeout": timeout, "preload_app": False,
                               "pidfile": str(pidfile_path(settings)),
                               "accesslog": "-", "worker_class": "gthread",
                               "limit_request_line": 8190}.items():
                self.cfg.set(key, value)

        reloading = False

        def reload(self) -> None:
            # SIGHUP: workers forked from now on are a reload; a bad policy file then keeps
            # the policy in force instead of stopping the service
            type(self).reloading = True
            super().reload()

        def load(self):
            return create_app(settings, reloading=type(self).reloading)

    _App().run()


def pidfile_path(settings: Settings):
    """Where ``signsvc serve`` writes the gunicorn master's pid (for ``policy reload``)."""
    return settings.service.state_dir / "signsvc.pid"
