"""What a three-step (browser) signature may draw, and its defaults (VS-8, VS-11).

In a three-step session the page content is fixed at step 1, while the timestamp that
becomes the signature's time (B-T and above) is taken at step 3, after the official typed
the PIN (seconds to minutes later). A time drawn at step 1 would differ from it, so:

- the text profiles (``text``, ``vgca-compat``) draw no time line by default (a personal
  signature carries no time, VS-11);
- a time line asked for explicitly is drawn only at B-B, where the signature's time is the
  claimed ``/M`` that the drawing shares; at a timestamped level it is refused (422);
- the attachment and copy stamps, whose time Decree 30 requires, are refused at a
  timestamped level (422): sign them in one step (``/v1/sign``) or at B-B;
- the ``official`` profile (image + name) draws the signer's name under the image: the
  given ``signer_name``, else the certificate's common name.
"""

from __future__ import annotations

from dataclasses import replace

from signsvc.names import TIMESTAMPED_LEVELS
from signsvc.signing.appearance.errors import placement_error
from signsvc.signing.appearance.spec import CORNER_PROFILES, AppearanceSpec

#: levels whose signature time is a timestamp taken at step 3
TIMESTAMPED = TIMESTAMPED_LEVELS
TEXT_PROFILES = ("text", "vgca-compat")
#: the lines drawn when none are asked for (no time: VS-11, VS-8)
DEFAULT_LINES = {"text": ("signer", "agency"), "vgca-compat": ("signer", "email", "agency")}


def three_step_spec(spec: AppearanceSpec, level: str, common_name: str | None) -> AppearanceSpec:
    """``spec`` as a three-step signature at ``level`` draws it: every time it draws equals
    the signature's time, or no time is drawn (see the module doc). Raises
    ``AppearanceError`` (422) for a time that could not equal the timestamp."""
    stamped = level in TIMESTAMPED
    if spec.profile in CORNER_PROFILES and stamped:
        raise placement_error(
            "Dấu đính kèm và dấu sao phải ghi thời gian ký bằng thời gian của dấu thời gian; "
            "khi ký ba bước (token của cán bộ), dấu thời gian được lấy sau khi trang đã cố định, "
            "nên hãy ký các dấu này qua /v1/sign hoặc ở mức B-B.",
            "Attachment and copy stamps must show the timestamp's time; in three-step signing "
            "the timestamp is taken after the page is fixed, so sign them through /v1/sign or "
            "at level B-B.", parameter="profile")
    if spec.profile in TEXT_PROFILES:
        if spec.lines is None:
            return replace(spec, lines=DEFAULT_LINES[spec.profile])
        if "time" in spec.lines and stamped:
            raise placement_error(
                "Không thể ghi thời gian ký trên trang khi ký ba bước ở mức có dấu thời gian: "
                "dấu thời gian được lấy ở bước 3, sau khi trang đã cố định, nên hai thời gian "
                "sẽ khác nhau. Bỏ dòng 'time' (thời gian ký có trong dấu thời gian).",
                "The signing time cannot be drawn in a three-step signature at a timestamped "
                "level: the timestamp is taken at step 3, after the page is fixed, so the two "
                "times would differ. Leave out the 'time' line (the timestamp holds the time).",
                parameter="lines")
        return spec
    if spec.profile == "official" and not spec.signer_name and common_name:
        return replace(spec, signer_name=common_name)
    return spec
