"""The workspace secret (generated once, stored with mode 0600) and the keys derived from it."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path


def workspace_cookie_key(home: Path, configured: str | None) -> str:
    """Return ``configured`` if set, else the key in ``home/cookie.key`` (created on first use)."""
    if configured:
        return configured
    path = home / "cookie.key"
    if path.exists():
        return path.read_text().strip()
    home.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def derived_key(secret: str, purpose: str) -> bytes:
    """A key for one ``purpose`` (HMAC-SHA256 of the workspace secret): a token signed for one use, such as an
    API token, never verifies as another, such as the sign-in cookie signed with the secret itself."""
    return hmac.new(secret.encode(), f"dataml-studio:{purpose}".encode(), hashlib.sha256).digest()
