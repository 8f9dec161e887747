"""Encryption at rest of the requests' content (Fernet, keys from the environment).

SPECIALISTS_ENCRYPTION_KEY encrypts; the keys in SPECIALISTS_ENCRYPTION_OLD_KEYS still
decrypt (MultiFernet), so a key can be rotated: put the new key first, the old one in the old
keys, run `manage.py rotate_specialists_key`, then drop the old key.
"""

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

__all__ = ["InvalidToken", "decrypt_bytes", "decrypt_text", "encrypt_bytes", "encrypt_text", "rotate"]


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def _current() -> MultiFernet:
    return _fernet((settings.SPECIALISTS_ENCRYPTION_KEY, *settings.SPECIALISTS_ENCRYPTION_OLD_KEYS))


def encrypt_bytes(data: bytes) -> bytes:
    return _current().encrypt(data)


def decrypt_bytes(token: bytes) -> bytes:
    return _current().decrypt(bytes(token))


def encrypt_text(text: str) -> str:
    return encrypt_bytes(text.encode()).decode("ascii") if text else ""


def decrypt_text(token: str) -> str:
    return decrypt_bytes(token.encode("ascii")).decode() if token else ""


def rotate(token: bytes) -> bytes:
    """The same content encrypted with the current key."""
    return _current().rotate(bytes(token))
