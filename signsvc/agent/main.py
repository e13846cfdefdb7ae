"""``signsvc-agent``: the official's local signing agent (entry point).

Guarantees: the agent starts only with a valid configuration (``--config`` or
``SIGNSVC_AGENT_CONFIG``) whose PKCS#11 modules load; otherwise it prints why in
Vietnamese and English and exits with status 2. It logs a warning at start when the PIN
comes from the environment (``unsafe_headless``) or requests without ``Origin`` are
accepted. It logs ``listening on http://127.0.0.1:PORT`` once it accepts connections,
and stops cleanly on SIGTERM or Ctrl-C (status 0).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading

from signsvc.agent.config import AgentConfigError, load_config

log = logging.getLogger("signsvc.agent")


def _fail(vi: str, en: str) -> int:
    print(f"signsvc-agent: {vi}\nsignsvc-agent: {en}", file=sys.stderr)
    return 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="signsvc-agent",
        description="Phần mềm ký số cục bộ của cán bộ / the official's local signing agent")
    parser.add_argument("--config", help="TOML file (default: $SIGNSVC_AGENT_CONFIG)")
    parser.add_argument("--check", action="store_true",
                        help="validate the configuration and the PKCS#11 modules, then exit")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    path = args.config or os.environ.get("SIGNSVC_AGENT_CONFIG")
    if not path:
        return _fail("cần --config hoặc biến SIGNSVC_AGENT_CONFIG",
                     "--config or SIGNSVC_AGENT_CONFIG is required")
    try:
        config = load_config(path)
    except AgentConfigError as exc:
        return _fail(f"cấu hình sai tại [{exc.where}]: {exc.vi}",
                     f"bad configuration at [{exc.where}]: {exc.en}")

    from signsvc.agent.pin import PinPrompter
    from signsvc.agent.server import AgentServer
    from signsvc.agent.token import Tokens

    try:
        tokens = Tokens(config.tokens)
    except Exception as exc:  # pkcs11.lib raises various errors for a bad library
        return _fail("không nạp được thư viện PKCS#11", f"cannot load a PKCS#11 module: {exc}")
    if args.check:
        print("signsvc-agent: cấu hình hợp lệ / configuration is valid")
        return 0

    if config.pin.mode == "env":
        log.warning("UNSAFE headless mode: the PIN is read from $%s without asking the user; "
                    "for tests only, never on an official's PC", config.pin.env_var)
    if config.server.allow_requests_without_origin:
        log.warning("requests without an Origin header are accepted (tests only)")
    try:
        server = AgentServer(config, tokens, PinPrompter(config.pin))
    except OSError as exc:
        return _fail(f"không mở được cổng {config.server.port}",
                     f"cannot listen on 127.0.0.1:{config.server.port}: {exc.strerror}")

    def stop(_signum: int, _frame: object) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    log.info("allowed origins: %s; tokens: %s", ", ".join(config.server.allowed_origins),
             ", ".join(t.label for t in config.tokens))
    log.info("listening on http://127.0.0.1:%d", config.server.port)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    log.info("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
