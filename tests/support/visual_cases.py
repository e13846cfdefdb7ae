"""The documents of the visual tests, one per appearance profile, signed at a fixed time
so that renderings are reproducible (used by tests and by tests/data/visual/regenerate.py)."""

from __future__ import annotations

from datetime import datetime

from signsvc.services.context import RequestContext
from signsvc.signing.appearance.spec import VIETNAM, AppearanceSpec, Placement
from signsvc.signing.pades import SignatureRequest
from tests.support.appearance import seal_png, signature_png, template_pdf

FIXED_TIME = datetime(2026, 11, 28, 10, 15, 0, tzinfo=VIETNAM)
OFFICIAL_KEY = "dev-software"      # of kind "official" in these tests' settings
SEAL_KEY = "agency-seal"
NAME_LINE = "Nguyễn Văn Ấn"
TEMPLATE = template_pdf([
    (60, 780, "ỦY BAN NHÂN DÂN TỈNH THỬ NGHIỆM"),
    (60, 740, "Số: 123/QĐ-UBND"),
    (60, 700, "QUYẾT ĐỊNH về việc thử nghiệm chữ ký số hiển thị"),
    (370, 330, "GIÁM ĐỐC"),
    (350, 230, NAME_LINE),
])
CTX = RequestContext(request_id="visual", actor="tests", role="clerk",
                     keys=(OFFICIAL_KEY, SEAL_KEY, "agency-seal-ec"))


def register_images(services) -> None:
    images = services.signing.images
    admin = RequestContext(request_id="visual-setup", actor="tests", role="admin")
    names = {i.name for i in images.list()}
    if "sig-an" not in names:
        images.add(admin, "sig-an", "signature", OFFICIAL_KEY, signature_png())
    if "seal-ubnd" not in names:
        images.add(admin, "seal-ubnd", "seal", SEAL_KEY, seal_png(), 36.0)


def sign(services, key: str, data: bytes, spec: AppearanceSpec, level: str = "B-B"):
    return services.signing.sign(CTX, key, data, SignatureRequest(level=level, appearance=spec))


def official(services) -> bytes:
    spec = AppearanceSpec("official", Placement(anchor=NAME_LINE), image="sig-an",
                          signing_time=FIXED_TIME)
    return sign(services, OFFICIAL_KEY, TEMPLATE, spec).data


def seal(services) -> bytes:
    spec = AppearanceSpec("seal", Placement(over_field="Signature1"), image="seal-ubnd",
                          signing_time=FIXED_TIME)
    return sign(services, SEAL_KEY, official(services), spec).data


def attachment(services) -> bytes:
    spec = AppearanceSpec("attachment", doc_number="Số 123/QĐ-UBND", signing_time=FIXED_TIME)
    return sign(services, SEAL_KEY, TEMPLATE, spec).data


def copy(services) -> bytes:
    spec = AppearanceSpec("copy", copy_kind="sao-y", agency="Văn phòng UBND tỉnh Thử Nghiệm",
                          signing_time=FIXED_TIME)
    return sign(services, SEAL_KEY, TEMPLATE, spec).data


def text(services) -> bytes:
    spec = AppearanceSpec("text", Placement(page=1, rect=(300, 90, 560, 150)),
                          signer_name="Trần Thị Bích", agency="Sở Tư pháp tỉnh Thử Nghiệm",
                          signing_time=FIXED_TIME)
    return sign(services, SEAL_KEY, TEMPLATE, spec).data


def vgca_compat(services) -> bytes:
    spec = AppearanceSpec("vgca-compat", Placement(page=1, rect=(40, 90, 290, 160)),
                          email="vanthu@thunghiem.gov.vn", signing_time=FIXED_TIME)
    return sign(services, SEAL_KEY, TEMPLATE, spec).data


CASES = {"official": official, "seal": seal, "attachment": attachment, "copy": copy,
         "text": text, "vgca-compat": vgca_compat}
