"""Dependencies every route shares: the engine and the acting user from the bearer token."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from core import Actor, Engine, Unauthenticated

TOKEN_URL = "/api/v1/login/access-token"  # noqa: S105 (a URL, not a secret)
_bearer = OAuth2PasswordBearer(tokenUrl=TOKEN_URL, auto_error=False)


async def engine(request: Request) -> Engine:
    """Async: it only reads the app's state, so FastAPI need not hop to a worker thread for it."""
    return request.app.state.engine  # type: ignore[no-any-return]


EngineDep = Annotated[Engine, Depends(engine)]


def current_actor(eng: EngineDep, token: Annotated[str | None, Depends(_bearer)]) -> Actor:
    """The signed-in actor, refreshed from the database on every request (deactivation applies at once)."""
    if not token:
        raise Unauthenticated("Sign in first: send 'Authorization: Bearer <access token>'.")
    return eng.tokens.actor_for_access(token)


def optional_actor(eng: EngineDep, token: Annotated[str | None, Depends(_bearer)]) -> Actor | None:
    """The actor when a valid token is sent, else None (for routes open to everyone)."""
    try:
        return current_actor(eng, token)
    except Unauthenticated:
        return None


ActorDep = Annotated[Actor, Depends(current_actor)]
OptionalActorDep = Annotated[Actor | None, Depends(optional_actor)]
