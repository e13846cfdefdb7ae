"""Signature images of officials and seal images of agencies (VS-1, VS-3).

An administrator registers an image for one signing key: a ``signature`` image for an
official's key, a ``seal`` image only for a key of kind ``agency-seal``. Images are
validated (PNG, 8-bit with alpha, some transparency, byte and pixel limits) and stored
with their SHA-256; a visible signature may use only an image registered for the key
that signs, and the audit record of the signature names the image's SHA-256.
"""

from __future__ import annotations

import hashlib
import re
from typing import Protocol

from signsvc.audit_tags import AuditTag
from signsvc.errors import BadRequest, Message
from signsvc.keys.registry import KeyRegistry
from signsvc.names import AuditOutcome, KeyKind
from signsvc.services.audit_service import AuditService
from signsvc.services.auditing import audit
from signsvc.services.context import RequestContext
from signsvc.settings.model import AppearanceSettings
from signsvc.signing.appearance import png
from signsvc.signing.appearance.errors import AppearanceError
from signsvc.signing.appearance.spec import AppearanceSpec, ImageRef, StoredImage

_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
KINDS = ("signature", "seal")
PROFILE_KIND = {"official": "signature", "seal": "seal"}
#: images of officials who sign with their own token are bound to ``official:CLIENT``
OFFICIAL_PREFIX = "official:"


class ImageStore(Protocol):
    """Port: where registered images are kept (``signsvc.adapters.images_sql``)."""

    def now(self) -> str:
        """The registration time to record (ISO 8601)."""
        ...

    def add(self, image: StoredImage) -> bool:
        """Store ``image``; False (nothing changed) when its name is taken."""
        ...

    def get(self, name: str) -> StoredImage | None: ...

    def list(self) -> list[StoredImage]: ...


class ImageService:
    def __init__(self, store: ImageStore, keys: KeyRegistry, audit_service: AuditService,
                 settings: AppearanceSettings) -> None:
        self._store = store
        self._keys = keys
        self._audit = audit_service
        self._settings = settings

    def add(self, ctx: RequestContext, name: str, kind: str, key_id: str, data: bytes,
            diameter_mm: float | None = None) -> StoredImage:
        """Validate and register (audited, refusals too)."""
        sha256 = hashlib.sha256(data).hexdigest()
        try:
            if not _NAME.match(name):
                raise BadRequest(Message("Tên ảnh chỉ gồm chữ, số, '_', '.', '-' (tối đa 64).",
                                         "An image name uses letters, digits, '_', '.', '-' "
                                         "(64 at most)."), parameter="name")
            if kind not in KINDS:
                raise BadRequest(Message("Loại ảnh là signature hoặc seal.",
                                         "The image kind is signature or seal."), parameter="kind")
            if key_id.startswith(OFFICIAL_PREFIX):
                # an official signing with their own token (browser signing): no key here
                if kind != "signature" or not _NAME.match(key_id[len(OFFICIAL_PREFIX):]):
                    raise BadRequest(Message(
                        "Chỉ ảnh chữ ký cá nhân được gắn với tài khoản người ký.",
                        "Only a personal signature image may be bound to an official's account."),
                        parameter="key")
                key_kind: str = KeyKind.OFFICIAL
            else:
                key_kind = self._keys.get(key_id).info.kind
            if kind == "seal" and key_kind != KeyKind.AGENCY_SEAL:
                raise BadRequest(Message(
                    f"Ảnh con dấu chỉ được gắn với khóa con dấu cơ quan; khóa '{key_id}' là "
                    f"loại '{key_kind}'.",
                    f"A seal image may only be bound to an agency-seal key; '{key_id}' is of "
                    f"kind '{key_kind}'."), parameter="key")
            if kind == "signature" and key_kind == KeyKind.AGENCY_SEAL:
                raise BadRequest(Message(
                    "Ảnh chữ ký cá nhân không được gắn với khóa con dấu cơ quan.",
                    "A personal signature image may not be bound to an agency-seal key."),
                    parameter="key")
            if kind == "seal":
                diameter_mm = diameter_mm or self._settings.seal_diameter_mm
                if not 10 <= diameter_mm <= 80:
                    raise BadRequest(Message("Đường kính con dấu phải từ 10 đến 80 mm.",
                                             "The seal diameter must be 10 to 80 mm."),
                                     parameter="diameter_mm")
            elif diameter_mm is not None:
                raise BadRequest(Message("Chỉ ảnh con dấu mới có đường kính.",
                                         "Only seal images have a diameter."),
                                 parameter="diameter_mm")
            image = png.decode(data, self._settings.image_max_bytes, self._settings.image_max_side)
            stored = StoredImage(name, kind, key_id, sha256, data, image.width, image.height,
                                 diameter_mm, ctx.actor or "?", self._store.now())
            if not self._store.add(stored):
                raise BadRequest(Message(f"Đã có ảnh tên '{name}'; ảnh không bị thay thế.",
                                         f"An image named '{name}' exists; it is not replaced."),
                                 parameter="name")
        except Exception as exc:
            code = getattr(exc, "code", "internal-error")
            audit(self._audit, ctx, AuditTag.APPEARANCE_IMAGE_REJECTED, AuditOutcome.FAILURE,
                  error_code=code,
                  key_id=key_id[:128], input_sha256=sha256,
                  details={"name": name[:64], "kind": kind[:16]})
            raise
        audit(self._audit, ctx, AuditTag.APPEARANCE_IMAGE_REGISTERED, AuditOutcome.SUCCESS,
              key_id=key_id,
              input_sha256=sha256, details={"name": name, "kind": kind, "width": stored.width,
                                            "height": stored.height,
                                            "diameter_mm": f"{stored.diameter_mm:g}"
                                            if stored.diameter_mm else None})
        return stored

    def list(self) -> list[StoredImage]:
        return self._store.list()

    def resolve(self, spec: AppearanceSpec, key_id: str) -> AppearanceSpec:
        """The spec with the bytes of its image, which must be registered for ``key_id``."""
        wanted = PROFILE_KIND.get(spec.profile)
        if wanted is None:
            if spec.image:
                raise AppearanceError(Message(
                    f"Mẫu '{spec.profile}' không dùng ảnh. Tài liệu chưa được ký.",
                    f"The '{spec.profile}' profile uses no image. Nothing was signed."),
                    parameter="image")
            return spec
        if not spec.image:
            raise AppearanceError(Message(
                f"Mẫu '{spec.profile}' cần tham số image (tên ảnh đã đăng ký). Tài liệu chưa được ký.",
                f"The '{spec.profile}' profile needs image (a registered image name). "
                "Nothing was signed."), parameter="image")
        stored = self._store.get(spec.image)
        if stored is None or stored.kind != wanted or stored.key_id != key_id:
            raise AppearanceError(Message(
                f"Không có ảnh {'con dấu' if wanted == 'seal' else 'chữ ký'} '{spec.image}' "
                f"đăng ký cho khóa '{key_id}'. Tài liệu chưa được ký.",
                f"There is no {wanted} image '{spec.image}' registered for key '{key_id}'. "
                "Nothing was signed."), parameter="image")
        return spec.with_image(ImageRef(stored.name, stored.kind, stored.sha256, stored.png,
                                        stored.diameter_mm))
