"""Seed 004 §1 and §10: sign-in, token test, refresh (rotation), logout, password reset."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, Field

from api.deps import ActorDep, EngineDep
from api.schemas import Message, UserOut
from core import InvalidInput, Problem, TokenPair

router = APIRouter(tags=["login"])


class TokenOut(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"  # noqa: S105 (the OAuth2 token type)
    expires_in: int = Field(description="Seconds the access token is valid.")
    refresh_expires_in: int = Field(description="Seconds the refresh token is valid.")

    @classmethod
    def of(cls, pair: TokenPair) -> TokenOut:
        return cls(**vars(pair))


class RefreshIn(BaseModel):
    refresh_token: str


class ResetPasswordIn(BaseModel):
    user_name: str
    new_password: str
    old_password: str | None = Field(
        default=None, description="Needed to change your own password without users:manage."
    )


def _refresh_token(
    refresh_token: Annotated[
        str | None, Query(description="The seed's way; prefer the body (kept out of logs).")
    ] = None,
    body: Annotated[RefreshIn | None, Body()] = None,
) -> str:
    token = body.refresh_token if body is not None else refresh_token
    if not token:
        raise InvalidInput("Send the refresh token in the body or the query.", [Problem("required", "refresh_token")])
    return token


RefreshToken = Annotated[str, Depends(_refresh_token)]


def _reset_request(
    user_name: Annotated[str | None, Query()] = None,
    new_password: Annotated[str | None, Query()] = None,
    old_password: Annotated[str | None, Query()] = None,
    body: Annotated[ResetPasswordIn | None, Body()] = None,
) -> ResetPasswordIn:
    if body is not None:
        return body
    if not user_name or not new_password:
        pairs = (("user_name", user_name), ("new_password", new_password))
        missing = [Problem("required", name) for name, value in pairs if not value]
        raise InvalidInput("Send user_name and new_password in the body or the query.", missing)
    return ResetPasswordIn(user_name=user_name, new_password=new_password, old_password=old_password)


@router.post("/login/access-token", response_model=TokenOut)
def login_access_token(eng: EngineDep, form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> TokenOut:
    """OAuth2 password grant. The sign-in throttle and audit log apply as on the sign-in page; wrong
    credentials, an unknown or a deactivated user all answer 401 with the same sentence."""
    return TokenOut.of(eng.tokens.sign_in(form.username, form.password))


@router.post("/login/test-token", response_model=UserOut)
def test_token(eng: EngineDep, actor: ActorDep) -> UserOut:
    """The user the access token stands for."""
    return UserOut.of(eng.users.me(actor))


@router.get("/validate-token", response_model=UserOut)
def validate_token(eng: EngineDep, actor: ActorDep) -> UserOut:
    """Seed §10: the same check as ``/login/test-token``, as a GET."""
    return UserOut.of(eng.users.me(actor))


@router.post("/refresh", response_model=TokenOut)
def refresh(eng: EngineDep, token: RefreshToken) -> TokenOut:
    """Rotate the refresh token: it is spent, and a new pair is returned. Presenting a spent refresh token
    again revokes every token of its chain (someone copied it)."""
    return TokenOut.of(eng.tokens.refresh(token))


@router.post("/logout", response_model=Message)
def logout(eng: EngineDep, token: RefreshToken) -> Message:
    """Revoke the refresh token's chain. Access tokens already issued lapse within 15 minutes."""
    eng.tokens.revoke(token)
    return Message(message="Signed out.")


@router.post("/reset-password", response_model=Message)
def reset_password(
    eng: EngineDep, actor: ActorDep, request: Annotated[ResetPasswordIn, Depends(_reset_request)]
) -> Message:
    """Never unauthenticated (unlike the seed): a user manager resets someone's password, or a user changes
    their own with ``old_password``. Either ends that user's sessions and tokens."""
    eng.users.reset_password_by_name(actor, request.user_name, request.new_password, request.old_password)
    return Message(message="The password was changed.")
