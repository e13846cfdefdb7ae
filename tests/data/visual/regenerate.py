"""Regenerate the reference renderings of visible signatures -- only on purpose, and look
at every PNG before committing it (the references are reviewed by eye).

    cd /work/main && set -a && . var/dev.env && set +a
    .venv/bin/python tests/data/visual/regenerate.py [PROFILE ...]

Each profile's document (tests/support/visual_cases.py, fixed signing time) is signed by a
throw-away service (development PKI and tokens, as `make test` builds them) and page 1 is
rendered with `pdftoppm -r 72 -png`.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
sys.path.insert(0, str(REPO))

from tests.conftest import build_api  # noqa: E402
from tests.support.appearance import render_page  # noqa: E402
from tests.support.visual_cases import CASES, register_images  # noqa: E402


def main(names: list[str]) -> int:
    with tempfile.TemporaryDirectory(prefix="signsvc-visual-") as tmp:
        api = build_api(Path(tmp) / "state", with_clients=False,
                        keys__dev_software__kind="official")
        try:
            register_images(api.services)
            for name in names or list(CASES):
                work = Path(tmp) / name
                work.mkdir()
                png = render_page(CASES[name](api.services), work)
                shutil.copyfile(png, HERE / f"{name}.png")
                print(f"wrote {HERE / f'{name}.png'}")
        finally:
            api.services.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
