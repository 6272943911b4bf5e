"""Bank access tokens, encrypted at rest: AES-256-GCM with a random 96-bit nonce; the
ciphertext is bound to its organization and connection (associated data), so a token
copied into another row does not decrypt. The key comes from ``imports.token_key``
(base64, 32 bytes); outside production one is generated once under the data directory,
as the JWT secret is."""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import secrets
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from fiscus.config import Settings

NONCE = 12


class TokenCipher:
    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("the token key must be 32 bytes")
        self._aead = AESGCM(key)
        self.key_id = hashlib.sha256(key).hexdigest()[:16]

    @staticmethod
    def _bound(org_id: UUID, connection_id: UUID) -> bytes:
        return org_id.bytes + connection_id.bytes

    def seal(self, token: str, *, org_id: UUID, connection_id: UUID) -> bytes:
        nonce = os.urandom(NONCE)
        return nonce + self._aead.encrypt(nonce, token.encode(), self._bound(org_id, connection_id))

    def open(self, sealed: bytes, *, org_id: UUID, connection_id: UUID) -> str:
        try:
            plain = self._aead.decrypt(
                sealed[:NONCE], sealed[NONCE:], self._bound(org_id, connection_id)
            )
        except InvalidTag:
            raise ValueError("the token does not decrypt with this key and row") from None
        return plain.decode()


def token_cipher(settings: Settings) -> TokenCipher:
    configured = settings.imports.token_key
    if configured is not None:
        try:
            key = base64.b64decode(configured.get_secret_value(), validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("FISCUS_IMPORTS_TOKEN_KEY is not base64") from None
        return TokenCipher(key)
    if settings.is_production:
        raise ValueError("FISCUS_IMPORTS_TOKEN_KEY must be set in production")
    path = settings.data_dir / "token-key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(base64.b64encode(secrets.token_bytes(32)).decode())
        path.chmod(0o600)
    return TokenCipher(base64.b64decode(path.read_text().strip()))
