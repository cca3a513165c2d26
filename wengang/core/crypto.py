"""Field encryption (AES-GCM) with a keyed hash (HMAC-SHA256) beside each value for exact lookup.

The cipher is pluggable: ``FieldCipher`` is the interface, AES-GCM the default; an SM4 cipher for 密评
plugs in by subclassing it. Keys come from the environment (``WENGANG_FIELD_KEY``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings


def _derive(label: bytes) -> bytes:
    return _derive_from(settings.WENGANG_FIELD_KEY, label)


@lru_cache(maxsize=16)
def _derive_from(master: str, label: bytes) -> bytes:
    """Sub-keys per purpose; cached, since every hash and seal of a million-row import needs one."""
    return hmac.new(master.encode(), label, hashlib.sha256).digest()


class FieldCipher:
    """Encrypts and decrypts short text fields; output is ASCII-safe for a text column."""

    prefix = ""

    def encrypt(self, plaintext: str) -> str:
        raise NotImplementedError

    def decrypt(self, token: str) -> str:
        raise NotImplementedError


class AesGcmCipher(FieldCipher):
    prefix = "a1:"

    def __init__(self) -> None:
        self._aead = AESGCM(_derive(b"wengang-field-encryption-v1"))

    def encrypt(self, plaintext: str) -> str:
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), None)
        return self.prefix + base64.urlsafe_b64encode(nonce + sealed).decode()

    def decrypt(self, token: str) -> str:
        if not token.startswith(self.prefix):
            raise ValueError("unknown cipher prefix")
        raw = base64.urlsafe_b64decode(token[len(self.prefix) :])
        return self._aead.decrypt(raw[:12], raw[12:], None).decode()


@lru_cache(maxsize=1)
def cipher() -> FieldCipher:
    return AesGcmCipher()


def encrypt(plaintext: str) -> str:
    return cipher().encrypt(plaintext) if plaintext else ""


def decrypt(token: str) -> str:
    return cipher().decrypt(token) if token else ""


def blind_index(plaintext: str) -> str:
    """Deterministic keyed hash for exact search and de-duplication without storing the value."""
    if not plaintext:
        return ""
    return hmac.new(_derive(b"wengang-blind-index-v1"), plaintext.encode(), hashlib.sha256).hexdigest()


def encrypt_bytes(data: bytes) -> bytes:
    """Seal a whole file (an uploaded ledger waiting to be loaded) with the field key."""
    aead = AESGCM(_derive(b"wengang-file-encryption-v1"))
    nonce = os.urandom(12)
    return nonce + aead.encrypt(nonce, data, None)


def decrypt_bytes(sealed: bytes) -> bytes:
    aead = AESGCM(_derive(b"wengang-file-encryption-v1"))
    return aead.decrypt(sealed[:12], sealed[12:], None)
