"""Tokens are stored encrypted (Fernet). The key comes from PARTSEMBLE_TOKEN_KEY, else
from the secret key; PARTSEMBLE_TOKEN_KEY_PREVIOUS still decrypts during a rotation."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class TokenKeyError(RuntimeError):
    """Stored tokens cannot be decrypted with the configured keys."""


def _as_fernet_key(material: str) -> bytes:
    """A Fernet key as given, or one derived from any passphrase."""
    raw = material.strip().encode()
    try:
        if len(base64.urlsafe_b64decode(raw)) == 32:
            return raw
    except (ValueError, TypeError):
        pass
    return base64.urlsafe_b64encode(hashlib.sha256(raw).digest())


def _derived_from_secret(secret_key: str) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"partsemble", info=b"qbo-token-encryption")
    return base64.urlsafe_b64encode(hkdf.derive(secret_key.encode()))


class TokenCipher:
    def __init__(self, config: Mapping[str, Any]) -> None:
        primary = _as_fernet_key(config["TOKEN_KEY"]) if config.get("TOKEN_KEY") else _derived_from_secret(config["SECRET_KEY"])
        keys = [Fernet(primary)]
        if config.get("TOKEN_KEY_PREVIOUS"):
            keys.append(Fernet(_as_fernet_key(config["TOKEN_KEY_PREVIOUS"])))
        elif config.get("TOKEN_KEY"):
            # Tokens written before a TOKEN_KEY was set were encrypted with the derived key.
            keys.append(Fernet(_derived_from_secret(config["SECRET_KEY"])))
        self._fernet = MultiFernet(keys)

    def encrypt(self, plain: str) -> str:
        return self._fernet.encrypt(plain.encode()).decode() if plain else ""

    def decrypt(self, stored: str) -> str:
        """Raises TokenKeyError when no configured key opens the token."""
        if not stored:
            return ""
        try:
            return self._fernet.decrypt(stored.encode()).decode()
        except InvalidToken:
            raise TokenKeyError(
                "The stored QuickBooks or Xero tokens cannot be decrypted with PARTSEMBLE_TOKEN_KEY "
                "(or the secret key). Restore the previous key, or reconnect in Settings."
            ) from None

    def rotate(self, stored: str) -> str:
        """Re-encrypt with the primary key."""
        return self._fernet.rotate(stored.encode()).decode() if stored else ""
