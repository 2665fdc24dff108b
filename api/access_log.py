"""Keeps secrets out of the access log: the seed API puts refresh tokens and passwords in query strings."""

from __future__ import annotations

import logging
import re

SECRET_PARAMS = ("refresh_token", "access_token", "token", "password", "new_password", "old_password")
_SECRET = re.compile(r"(?i)([?&](?:" + "|".join(SECRET_PARAMS) + r")=)[^&\s]*")


def redact(path: str) -> str:
    return _SECRET.sub(r"\1***", path)


class RedactSecrets(logging.Filter):
    """For uvicorn's access logger, whose record args are (client, method, path, http version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and len(record.args) >= 3 and isinstance(record.args[2], str):
            record.args = (*record.args[:2], redact(record.args[2]), *record.args[3:])
        return True
