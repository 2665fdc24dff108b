"""bcrypt password hashing and the password rule."""

from __future__ import annotations

from functools import lru_cache

import bcrypt

from core.errors import InvalidInput, Problem

PASSWORD_RULE = "at least 10 characters, with at least one letter and one digit"  # noqa: S105 - a rule, not a password
_MAX_BYTES = 72  # bcrypt ignores anything past 72 bytes; refuse rather than silently truncate


def check_password_rule(password: str) -> None:
    """Raise ``InvalidInput`` stating the rule when the password is too weak."""
    ok = (
        len(password) >= 10
        and any(c.isalpha() for c in password)
        and any(c.isdigit() for c in password)
        and len(password.encode()) <= _MAX_BYTES
    )
    if not ok:
        raise InvalidInput(
            f"The password must be {PASSWORD_RULE} (and at most {_MAX_BYTES} bytes).",
            [Problem("too weak", field="password")],
        )


def hash_password(password: str, rounds: int = 12) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds)).decode()


def verify_password(password: str, hashed: str) -> bool:
    try:
        return bcrypt.checkpw(password.encode()[:_MAX_BYTES], hashed.encode())
    except ValueError:
        return False


@lru_cache(maxsize=4)
def dummy_hash(rounds: int) -> str:
    """A hash to check against when the user does not exist. It must have the cost real hashes have
    (``DATAML_BCRYPT_ROUNDS``): checking a cheaper one answered unknown names 100 times faster."""
    return hash_password("not-a-real-password-0", rounds)
