"""API bearer tokens: short-lived access tokens and rotating refresh tokens (reuse revokes the chain).

Kept in the engine, not in ``api/``, so that any adapter issuing or checking tokens applies the same rules:
the sign-in throttle and audit of ``eng.users.authenticate``, and the end of every session on sign-out,
password change or deactivation (``eng.users.actor_since``).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from core.entities import Actor
from core.errors import PermissionDenied, Unauthenticated
from core.security.secrets import derived_key, workspace_cookie_key
from core.services.base import Service
from core.services.users import UserService
from core.storage.orm import utcnow
from core.storage.repositories import audit as audit_repo
from core.storage.repositories import identity as identity_repo
from core.storage.repositories import tokens as repo
from core.storage.workspace import Workspace

ACCESS_TTL = timedelta(minutes=15)
REFRESH_TTL = timedelta(days=7)
ALGORITHM = "HS256"
AUDIENCE = "dataml-studio-api"  # the sign-in cookie has no ``aud``, so PyJWT refuses it here
REQUIRED_CLAIMS = ["sub", "jti", "typ", "exp", "iat", "aud"]
SESSION_ENDED = "Your session has ended; please sign in again."


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int  # seconds the access token is valid
    refresh_expires_in: int
    token_type: str = "bearer"  # noqa: S105 (the OAuth2 token type, not a secret)


class TokenService(Service):
    def __init__(self, workspace: Workspace, *, users: UserService) -> None:
        super().__init__(workspace)
        self.users = users

    @property
    def key(self) -> bytes:
        """Derived from the workspace secret: API tokens and sign-in cookies never verify as each other."""
        return derived_key(workspace_cookie_key(self.settings.home, self.settings.cookie_key), "api-token")

    def sign_in(self, username: str, password: str) -> TokenPair:
        """The OAuth2 password grant: the same checks, throttle and audit as the sign-in page."""
        try:
            actor = self.users.authenticate(username, password)
        except PermissionDenied as exc:
            raise Unauthenticated(exc.message) from None
        pair = self._issue(actor, family_id=str(uuid.uuid4()))
        assert pair is not None  # a new chain has nothing to replace
        return pair

    def actor_for_access(self, token: str) -> Actor:
        """The actor an access token stands for, as of now (role changes apply at once)."""
        claims = self._decode(token, "access")
        return self._actor_since(claims)

    def refresh(self, token: str) -> TokenPair:
        """Rotate: the presented refresh token is spent and a new pair issued in the same chain. A spent token
        presented again means it was copied: the whole chain is revoked and the reuse audited."""
        claims = self._decode(token, "refresh")
        now = utcnow()
        with self.db.session() as session:
            stored = repo.get(session, claims["jti"])
            reused = stored is not None and stored.spent
            if stored is not None and reused:
                repo.revoke_family(session, stored.family_id, now)
                user = identity_repo.get_user(session, None, stored.user_id)
                audit_repo.add_event(
                    session,
                    tenant_id=user.tenant_id,
                    user_id=user.id,
                    username=user.username,
                    action="api.refresh_reused",
                    details={"family": stored.family_id},
                )
        if stored is None or reused or stored.expires_at <= now:
            raise Unauthenticated(SESSION_ENDED)
        pair = self._issue(self._actor_since(claims), family_id=stored.family_id, replaces=stored.id)
        if pair is None:  # another request rotated it first: treated as reuse
            raise Unauthenticated(SESSION_ENDED)
        return pair

    def revoke(self, token: str) -> None:
        """Sign out of the API: revoke the refresh token's whole chain (access tokens lapse within minutes)."""
        claims = self._decode(token, "refresh")
        with self.db.session() as session:
            stored = repo.get(session, claims["jti"])
            if stored is None:
                raise Unauthenticated(SESSION_ENDED)
            repo.revoke_family(session, stored.family_id, utcnow())
            user = identity_repo.get_user(session, None, stored.user_id)
            audit_repo.add_event(
                session, tenant_id=user.tenant_id, user_id=user.id, username=user.username, action="api.logout"
            )

    # --- internals --------------------------------------------------------------------------------------
    def _issue(self, actor: Actor, *, family_id: str, replaces: str | None = None) -> TokenPair | None:
        """A new pair in chain ``family_id``; None (and the chain revoked) when ``replaces`` was spent meanwhile."""
        now, refresh_id = time.time(), str(uuid.uuid4())
        with self.db.session() as session:
            if replaces is not None and not repo.replace(session, replaces, refresh_id):
                repo.revoke_family(session, family_id, _naive(now))
                return None
            repo.add(
                session,
                token_id=refresh_id,
                family_id=family_id,
                user_id=actor.user_id,
                tenant_id=actor.tenant_id,
                expires_at=_naive(now) + REFRESH_TTL,
            )
        return TokenPair(
            access_token=self._encode(actor.user_id, "access", str(uuid.uuid4()), now, ACCESS_TTL),
            refresh_token=self._encode(actor.user_id, "refresh", refresh_id, now, REFRESH_TTL),
            expires_in=int(ACCESS_TTL.total_seconds()),
            refresh_expires_in=int(REFRESH_TTL.total_seconds()),
        )

    def _encode(self, user_id: str, typ: str, jti: str, now: float, ttl: timedelta) -> str:
        # ``iat`` keeps sub-second precision: a token issued right after a sign-out must stay valid.
        claims = {
            "sub": user_id,
            "jti": jti,
            "typ": typ,
            "aud": AUDIENCE,
            "iat": now,
            "exp": int(now + ttl.total_seconds()),
        }
        return jwt.encode(claims, self.key, algorithm=ALGORITHM)

    def _decode(self, token: str, typ: str) -> dict[str, Any]:
        try:
            claims = jwt.decode(
                token, self.key, algorithms=[ALGORITHM], audience=AUDIENCE, options={"require": REQUIRED_CLAIMS}
            )
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("The token has expired; sign in or refresh it.") from None
        except jwt.PyJWTError:  # malformed, forged, other key or algorithm, missing claims
            raise Unauthenticated("The token is not valid.") from None
        if claims["typ"] != typ:
            raise Unauthenticated(f"That is not an {typ} token." if typ == "access" else "That is not a refresh token.")
        if not all(isinstance(claims[name], str) for name in ("sub", "jti")):
            raise Unauthenticated("The token is not valid.")
        return claims

    def _actor_since(self, claims: dict[str, Any]) -> Actor:
        try:
            return self.users.actor_since(claims["sub"], _naive(float(claims["iat"])))
        except PermissionDenied:
            raise Unauthenticated(SESSION_ENDED) from None


def _naive(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC).replace(tzinfo=None)
