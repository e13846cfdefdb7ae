"""WSGI entry points: ``signsvc.wsgi:create`` for any server, and gunicorn for ``signsvc serve``.

Keys are opened in each worker after it forks (never in the master), so PKCS#11 sessions
are never shared across processes. ``signsvc serve`` runs signsvc's own gthread worker
(``signsvc.web_server.worker``): a request gets a thread only once it is read whole, its
own errors are problem+json, and workers die with their master.
"""

from __future__ import annotations

import atexit
from dataclasses import replace
from pathlib import Path

from signsvc.settings import Settings, load_settings


def create():
    """Application factory for ``gunicorn 'signsvc.wsgi:create()'``."""
    return worker_app(load_settings())


def worker_app(settings: Settings, *, reloading: bool = False):
    """The app of one server process (a gunicorn worker, after fork): its services, and
    its batch-job threads started at once (a job left by a stopped instance is taken up
    without waiting for a request), stopped when the process exits."""
    from signsvc.app import build_services, create_app

    services = build_services(settings, reloading=reloading)
    services.job_workers.start()
    atexit.register(services.job_workers.stop)
    return create_app(settings, services)


def run_gunicorn(settings: Settings, *, host: str | None, port: int | None,
                 workers: int, threads: int, pidfile: Path | None = None) -> None:
    """Serve with gunicorn. ``pidfile``: where the master's pid goes, its control socket
    beside it (``NAME.ctl``) -- one per instance when several share a state folder (the
    cluster's ``var/run/signsvc-PORT.pid``); None: the state folder's (``settings.paths``)."""
    from signsvc.web_server import metrics_hooks

    # before prometheus_client is imported (it chooses single- or multi-process at import);
    # one folder per instance (instances sharing a state folder each have a pid file)
    metrics_hooks.prepare(pidfile.with_suffix(".metrics") if pidfile else settings.paths.metrics_dir)
    from gunicorn.app.base import BaseApplication

    from signsvc.app import prepare_state
    from signsvc.logsetup import configure_logging
    from signsvc.web_server.logs import configure as configure_gunicorn_logs
    from signsvc.web_server.worker import configure as configure_worker

    # the instance's name follows the port it serves on (``--port``) unless configured
    settings = replace(settings, service=replace(settings.service,
                                                 port=port or settings.service.port))
    configure_logging(settings.logging.level, format=settings.logging.format,
                      instance=settings.instance_id)
    # the state folder, its SQLite files (WAL) and the policy record are made here, in the
    # master, before gunicorn writes its pid file there and before any worker forks
    prepare_state(settings)
    bind = f"{host or settings.service.host}:{port or settings.service.port}"
    timeout = int(settings.service.signing_timeout_seconds) + 30
    config = {"bind": bind, "workers": workers, "threads": threads,
              "timeout": timeout, "preload_app": False,
              "pidfile": str(pidfile or pidfile_path(settings)),
              "accesslog": "-", "access_log_format": ACCESS_LOG_FORMAT,
              "logger_class": configure_gunicorn_logs(json=settings.logging.format == "json"),
              "child_exit": metrics_hooks.child_exit,
              "worker_class": configure_worker(
                  max_document_bytes=settings.service.max_document_bytes,
                  batch_max_bytes=max(settings.service.batch_max_bytes,
                                      settings.jobs.max_total_bytes),
                  batch_max_files=max(settings.service.batch_max_files, settings.jobs.max_files)),
              "limit_request_line": 8190}
    config.update(control_socket_settings(
        settings, pidfile.with_suffix(".ctl") if pidfile else None))

    class _App(BaseApplication):
        def load_config(self) -> None:
            for key, value in config.items():
                self.cfg.set(key, value)

        reloading = False

        def reload(self) -> None:
            # SIGHUP: workers forked from now on are a reload; a bad policy file then keeps
            # the policy in force instead of stopping the service
            type(self).reloading = True
            super().reload()

        def load(self):
            return worker_app(settings, reloading=type(self).reloading)

    _App().run()


#: one line per request, with the id the response carries in X-Request-Id
ACCESS_LOG_FORMAT = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms request_id=%({x-request-id}o)s'


def control_socket_settings(settings: Settings, path: Path | None = None) -> dict[str, object]:
    """gunicorn's control socket at ``path``, by default in this instance's state folder
    (gunicorn 27 otherwise puts every instance's at ~/.gunicorn/gunicorn.ctl, where a second
    instance replaces and then deletes the first one's); off when the path is too long for a
    Unix socket."""
    path = (path or settings.paths.control_socket).resolve()
    if len(str(path)) > 100:
        return {"control_socket_disable": True}
    return {"control_socket": str(path)}


def pidfile_path(settings: Settings) -> Path:
    """Where ``signsvc serve`` writes the gunicorn master's pid (for ``policy reload``)."""
    return settings.paths.pidfile
