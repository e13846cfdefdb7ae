"""``python -m signsvc.cli``: the ``signsvc`` command."""

import sys

from signsvc.cli.main import main

sys.exit(main())
