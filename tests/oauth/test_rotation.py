"""The rotation rule and OAuthAuth against a rotating token service, with a real file store."""

from __future__ import annotations

from pathlib import Path

import anyio
import httpx2
import pytest

from anaplan_mcp.oauth.auth import OAuthAuth
from anaplan_mcp.oauth.client import AnaplanOAuthClient, OAuthTokens
from anaplan_mcp.oauth.rotation import SignInLost, fresh_tokens
from anaplan_mcp.oauth.store import FileSignInStore
from tests.oauth.fakes import TokenService

pytestmark = pytest.mark.anyio
NOW = 10_000.0
MARGIN = 300.0


def clock() -> float:
    return NOW


async def signed_in(tmp_path: Path, service: TokenService, *, lasts: float) -> FileSignInStore:
    store = FileSignInStore(tmp_path / "sign-in.json", "cid https://oauth")
    issued = service.issue()
    await store.save(OAuthTokens(issued["access_token"], issued["refresh_token"], NOW + lasts))
    return store


def oauth_for(service: TokenService) -> AnaplanOAuthClient:
    return AnaplanOAuthClient("https://oauth", "cid", transport=service.transport(), clock=clock)


async def test_a_fresh_stored_token_is_used_without_a_refresh(tmp_path: Path) -> None:
    service = TokenService()
    store = await signed_in(tmp_path, service, lasts=2000)
    tokens = await fresh_tokens(store, oauth_for(service), held=None, margin=MARGIN, clock=clock)
    assert tokens == await store.load()
    assert service.refreshes == 0


async def test_an_expiring_token_is_refreshed_once_and_saved(tmp_path: Path) -> None:
    service = TokenService()
    store = await signed_in(tmp_path, service, lasts=100)
    old = await store.load()
    tokens = await fresh_tokens(store, oauth_for(service), held=old, margin=MARGIN, clock=clock)
    assert service.refreshes == 1
    assert await store.load() == tokens
    assert old is not None and tokens.refresh_token != old.refresh_token
    assert tokens.expires_at == NOW + 2100


async def test_a_token_another_process_rotated_is_taken_not_refreshed(tmp_path: Path) -> None:
    service = TokenService()
    store = await signed_in(tmp_path, service, lasts=2000)
    rejected = await store.load()
    first = await fresh_tokens(store, oauth_for(service), held=rejected, margin=MARGIN, clock=clock)
    # A second process that also held the rejected token finds the rotated one in the store.
    other = FileSignInStore(store.path, store.key)
    second = await fresh_tokens(
        other, oauth_for(service), held=rejected, margin=MARGIN, clock=clock
    )
    assert second == first
    assert service.refreshes == 1


async def test_invalid_grant_with_a_newer_stored_token_retries_with_it(tmp_path: Path) -> None:
    service = TokenService()
    store = await signed_in(tmp_path, service, lasts=100)
    spent = await store.load()
    assert spent is not None
    newer = service.issue()

    service.live.discard(spent.refresh_token)  # the stored token was spent elsewhere

    async def save_newer_then_refresh(request: httpx2.Request) -> httpx2.Response:
        # Someone outside the lock (a login) saves a newer sign-in while this refresh is in flight.
        if not service.bodies:
            await store.save(OAuthTokens(newer["access_token"], newer["refresh_token"], NOW + 100))
        return service.handler(request)

    oauth = AnaplanOAuthClient(
        "https://oauth", "cid", transport=httpx2.MockTransport(save_newer_then_refresh), clock=clock
    )
    tokens = await fresh_tokens(store, oauth, held=spent, margin=MARGIN, clock=clock)
    assert [body["refresh_token"] for body in service.bodies] == [
        spent.refresh_token,
        newer["refresh_token"],
    ]
    assert await store.load() == tokens
    assert service.refreshes == 1


async def test_invalid_grant_with_nothing_newer_is_a_lost_sign_in(tmp_path: Path) -> None:
    service = TokenService()
    store = await signed_in(tmp_path, service, lasts=100)
    service.live.clear()  # rotated on the service's side, the answer never stored
    with pytest.raises(SignInLost, match="run `anaplan-mcp login` again"):
        await fresh_tokens(store, oauth_for(service), held=None, margin=MARGIN, clock=clock)
    assert len(service.bodies) == 1  # the spent token is not sent twice


async def test_no_stored_sign_in_says_to_log_in(tmp_path: Path) -> None:
    store = FileSignInStore(tmp_path / "none.json", "cid https://oauth")
    with pytest.raises(SignInLost, match="anaplan-mcp login"):
        await fresh_tokens(store, oauth_for(TokenService()), held=None, margin=MARGIN, clock=clock)


async def test_concurrent_requests_share_one_refresh_and_a_401_renews_once(tmp_path: Path) -> None:
    service = TokenService()
    store = await signed_in(tmp_path, service, lasts=2000)
    stored = await store.load()
    assert stored is not None
    revoked = {stored.access_token}
    seen: list[str] = []

    def api(request: httpx2.Request) -> httpx2.Response:
        if request.url.path == "/oauth/token":
            return service.handler(request)
        token = request.headers["authorization"].removeprefix("AnaplanAuthToken ")
        seen.append(token)
        return httpx2.Response(401 if token in revoked else 200, json={})

    transport = httpx2.MockTransport(api)
    oauth = AnaplanOAuthClient("https://oauth", "cid", transport=transport, clock=clock)
    auth = OAuthAuth(store, oauth, clock=clock, margin=MARGIN)
    async with httpx2.AsyncClient(transport=transport, auth=auth, base_url="https://cw") as http:
        statuses: list[int] = []

        async def call() -> None:
            statuses.append((await http.get("/x")).status_code)

        async with anyio.create_task_group() as group:
            for _ in range(10):
                group.start_soon(call)
        assert statuses == [200] * 10
        assert service.refreshes == 1  # ten 401s, one refresh
        # A sign-in that has truly ended is reported after one renewal, not looped on.
        revoked.add((await store.load()).access_token)  # type: ignore[union-attr]
        service.live.clear()
        with pytest.raises(SignInLost):
            await http.get("/x")
    await oauth.aclose()


async def test_the_token_is_refreshed_before_it_expires(tmp_path: Path) -> None:
    now = [NOW]
    service = TokenService()
    store = await signed_in(tmp_path, service, lasts=2100)
    oauth = AnaplanOAuthClient(
        "https://oauth", "cid", transport=service.transport(), clock=lambda: now[0]
    )
    auth = OAuthAuth(store, oauth, clock=lambda: now[0], margin=MARGIN)
    first = await auth.current_token()
    now[0] += 2100 - MARGIN - 1
    assert await auth.current_token() == first
    now[0] += 2
    assert await auth.current_token() != first
    assert service.refreshes == 1
