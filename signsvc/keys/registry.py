"""The keys the service was configured with, opened once at start-up."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from signsvc.errors import UnknownKey
from signsvc.keys.model import KeyInfo, SigningKey


class KeyRegistry:
    """Id -> opened key. Lookups never open or parse anything."""

    def __init__(self, keys: Iterable[SigningKey]) -> None:
        self._keys = {k.info.id: k for k in keys}

    def get(self, key_id: str) -> SigningKey:
        """The key, or ``UnknownKey`` (404)."""
        try:
            return self._keys[key_id]
        except KeyError:
            raise UnknownKey() from None

    def __contains__(self, key_id: str) -> bool:
        return key_id in self._keys

    def __iter__(self) -> Iterator[SigningKey]:
        return iter(self._keys.values())

    def infos(self, allowed: Iterable[str] | None = None) -> list[KeyInfo]:
        """Infos of all keys, or of the ``allowed`` ids only, sorted by id."""
        ids = sorted(self._keys if allowed is None else set(allowed) & set(self._keys))
        return [self._keys[i].info for i in ids]

    def close(self) -> None:
        for k in self._keys.values():
            k.close()
