"""Observability pieces on their own: the [logging]/[metrics]/instance settings, the two log
formats, the readiness check cache and bounded metric labels."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import pytest

from signsvc import logsetup
from signsvc.errors import ConfigError
from signsvc.services.metrics import OTHER, bounded
from signsvc.services.readiness import remembered
from signsvc.settings import load_settings

BASE = """
[service]
port = 8443
[trust]
anchors = ["certs/root.pem"]
"""


def _load(tmp_path: Path, text: str):
    cfg = tmp_path / "config" / "signsvc.toml"
    cfg.parent.mkdir(exist_ok=True)
    cfg.write_text(text)
    return load_settings(cfg, environ={})


def test_defaults_and_values(tmp_path):
    s = _load(tmp_path, BASE)
    assert s.logging.format == "text" and s.metrics.loopback and s.metrics.roles == ("admin",)
    assert s.instance_id.endswith(":8443") and s.database_kind == "sqlite"
    assert s.paths.metrics_dir == s.service.state_dir / "run" / "metrics"
    s = _load(tmp_path, BASE.replace("port = 8443", 'port = 8443\ninstance_id = "node-a"')
              + '[logging]\nformat = "json"\n[metrics]\nroles = ["admin", "auditor"]\n'
              + '[database]\nurl = "postgresql://signsvc@db/signsvc"\n')
    assert s.instance_id == "node-a" and s.logging.format == "json"
    assert s.metrics.roles == ("admin", "auditor") and s.database_kind == "postgresql"


@pytest.mark.parametrize("extra,needle", [
    ('[logging]\nformat = "xml"\n', "logging.format"),
    ('[logging]\nlevel = "LOUD"\n', "logging.level"),
    ('[metrics]\nroles = ["root"]\n', "metrics.roles"),
    ('[metrics]\nopen = true\n', "unknown key(s) open"),
])
def test_misconfiguration_names_the_setting(tmp_path, extra, needle):
    with pytest.raises(ConfigError) as exc:
        _load(tmp_path, BASE + extra)
    assert needle in exc.value.message.en


def test_instance_id_refuses_spaces_and_newlines(tmp_path):
    with pytest.raises(ConfigError) as exc:
        _load(tmp_path, BASE.replace("port = 8443", 'port = 8443\ninstance_id = "a b\\nc"'))
    assert "service.instance_id" in exc.value.message.en


def _one_line(fmt: str, **extra) -> str:
    record = logging.LogRecord("signsvc.test", logging.WARNING, __file__, 1, "hỏng %s\nthêm",
                               ("khóa",), None)
    for k, v in extra.items():
        setattr(record, k, v)
    logsetup.RequestIdFilter().filter(record)
    return logsetup.formatter(fmt).format(record)


def test_text_and_json_lines(monkeypatch):
    monkeypatch.setattr(logsetup, "_instance", "node-a:8081")
    token = logsetup.request_id.set("req-12345678")
    try:
        text = _one_line("text")
        assert "\n" not in text and "WARNING" in text and "request_id=req-12345678" in text
        assert text.endswith("hỏng khóa\\nthêm")
        data = json.loads(_one_line("json"))
        assert data["message"] == "hỏng khóa\nthêm" and data["level"] == "WARNING"
        assert data["request_id"] == "req-12345678" and data["instance"] == "node-a:8081"
        assert data["logger"] == "signsvc.test" and isinstance(data["pid"], int)
        # a record carrying its own request id (an access line) keeps it
        assert json.loads(_one_line("json", request_id="from-response"))["request_id"] \
            == "from-response"
    finally:
        logsetup.request_id.reset(token)


def test_configure_logging_switches_format_in_place(monkeypatch):
    root = logging.getLogger()
    before = list(root.handlers)
    monkeypatch.setattr(logsetup, "_instance", logsetup._instance)   # restored afterwards
    try:
        logsetup.configure_logging("INFO", format="json", instance="i-1")
        handler = next(h for h in root.handlers if getattr(h, "_signsvc", False))
        stream = io.StringIO()
        monkeypatch.setattr(handler, "stream", stream)
        logging.getLogger("x").warning("one")
        assert json.loads(stream.getvalue())["instance"] == "i-1"
        logsetup.configure_logging("INFO", format="text")
        assert [h for h in root.handlers if getattr(h, "_signsvc", False)] == [handler]
        logging.getLogger("x").warning("two")
        assert stream.getvalue().splitlines()[1].endswith("request_id=- two")
        with pytest.raises(ValueError):
            logsetup.configure_logging(format="yaml")
    finally:
        for h in list(root.handlers):
            if h not in before:
                root.removeHandler(h)


def test_remembered_check_reuses_its_outcome_for_the_period():
    now = [100.0]
    calls = []

    def check():
        calls.append(now[0])
        return "timestamp-unavailable" if len(calls) == 1 else None
    cached = remembered(check, 10.0, clock=lambda: now[0])
    assert cached() == "timestamp-unavailable"
    now[0] = 105.0
    assert cached() == "timestamp-unavailable" and len(calls) == 1
    now[0] = 111.0
    assert cached() is None and len(calls) == 2


def test_bounded_labels():
    assert bounded("agency-seal", {"agency-seal"}) == "agency-seal"
    assert bounded("../../etc/passwd", {"agency-seal"}) == OTHER
    assert bounded(None, {"agency-seal"}) == OTHER
