"""The ``signsvc`` command line: serve, sign, extend, verify, keys, clients,
policy, audit, images, archive.

Every command reads the same configuration as the service (``SIGNSVC_CONFIG``, default
``config/signsvc.toml``) and audits what it does with actor ``cli:<user>``. Errors are
printed in Vietnamese and English, with a non-zero exit status.

One module per command group (``serve``: serve/sign/extend/verify/keys; ``clients``,
``policy``, ``audit``, ``batch`` (verify --batch), ``images``, ``archive``), all sharing
``context`` (request context, policy, audit log); ``main`` assembles the parser.
"""

from signsvc.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
