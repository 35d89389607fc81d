"""The desktop store with real files (mode, atomic replace, corruption) and with a keyring."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import anyio
import keyring
import pytest
from keyring.backends import fail

from anaplan_mcp.oauth.client import OAuthTokens
from anaplan_mcp.oauth.configured import desktop_store, stored_sign_in_exists
from anaplan_mcp.oauth.rotation import SignInStoreError
from anaplan_mcp.oauth.store import FileSignInStore, KeyringSignInStore, sign_in_key
from anaplan_mcp.settings import Settings
from tests.oauth.fakes import MemoryKeyring

pytestmark = pytest.mark.anyio
TOKENS = OAuthTokens("AT-secret", "RT-secret", 5000.0, "openid")
KEY = sign_in_key("cid", "https://us1a.app.anaplan.com")


@pytest.fixture
def no_keyring():
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


@pytest.fixture
def memory_keyring():
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


async def test_the_file_is_created_0600_and_holds_the_record_by_client_and_host(
    tmp_path: Path,
) -> None:
    path = tmp_path / "dir" / "sign-in.json"
    store = FileSignInStore(path, KEY)
    assert await store.load() is None
    await store.save(TOKENS)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert json.loads(path.read_text())["sign_ins"] == {KEY: TOKENS.to_dict()}
    assert await store.load() == TOKENS
    # Another client (or another region's host) sees nothing, and its save keeps this record.
    other = FileSignInStore(path, sign_in_key("cid", "https://au1a.app2.anaplan.com"))
    assert await other.load() is None
    await other.save(OAuthTokens("a2", "r2", 1.0))
    assert await store.load() == TOKENS
    await store.forget()
    assert await store.load() is None
    assert await other.load() == OAuthTokens("a2", "r2", 1.0)


async def test_a_save_replaces_the_file_whole_and_leaves_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / "sign-in.json"
    store = FileSignInStore(path, KEY)
    await store.save(TOKENS)
    before = path.stat().st_ino
    await store.save(OAuthTokens("AT2", "RT2", 6000.0))
    # A new inode: the old file was renamed over, never rewritten in place, so a reader that
    # opened it mid-save still reads the whole old record.
    assert path.stat().st_ino != before
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(os.listdir(tmp_path)) == ["sign-in.json", "sign-in.json.lock"]


async def test_a_reader_never_sees_half_a_record(tmp_path: Path) -> None:
    path = tmp_path / "sign-in.json"
    writer, reader = FileSignInStore(path, KEY), FileSignInStore(path, KEY)
    await writer.save(TOKENS)
    seen: list[OAuthTokens | None] = []

    async def write() -> None:
        for number in range(100):
            await writer.save(OAuthTokens(f"AT{number}" * 50, f"RT{number}", float(number)))

    async def read() -> None:
        for _ in range(200):
            seen.append(await reader.load())

    async with anyio.create_task_group() as group:
        group.start_soon(write)
        group.start_soon(read)
    assert all(tokens is not None for tokens in seen)  # load() raised nothing: never corrupt


@pytest.mark.parametrize(
    "content", ["{not json", '{"sign_ins": []}', '{"sign_ins": {"' + KEY + '": {}}}']
)
async def test_a_corrupt_file_is_one_line_naming_it_and_the_fix(
    tmp_path: Path, content: str
) -> None:
    path = tmp_path / "sign-in.json"
    path.write_text(content)
    with pytest.raises(SignInStoreError) as caught:
        await FileSignInStore(path, KEY).load()
    message = str(caught.value)
    assert str(path) in message and "anaplan-mcp login" in message
    assert "ANAPLAN_MCP_TOKEN_STORE" in message and "\n" not in message


async def test_a_new_sign_in_replaces_a_corrupt_file(tmp_path: Path) -> None:
    path = tmp_path / "sign-in.json"
    path.write_text("{not json")
    store = FileSignInStore(path, KEY)
    await store.save(TOKENS)
    assert await store.load() == TOKENS


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
async def test_an_unreadable_file_says_so(tmp_path: Path) -> None:
    path = tmp_path / "sign-in.json"
    path.write_text("{}")
    path.chmod(0)
    with pytest.raises(
        SignInStoreError, match=r"cannot read the Anaplan sign-in store .*ANAPLAN_MCP_TOKEN_STORE"
    ):
        await FileSignInStore(path, KEY).load()


async def test_the_lock_serialises_holders_and_lets_save_inside_it(tmp_path: Path) -> None:
    path = tmp_path / "sign-in.json"
    first, second = FileSignInStore(path, KEY), FileSignInStore(path, KEY)  # two "processes"
    order: list[str] = []

    async def hold(store: FileSignInStore, name: str) -> None:
        async with store.locked():
            order.append(f"{name} in")
            await store.save(TOKENS)  # re-entering from inside does not deadlock
            await anyio.sleep(0.05)
            order.append(f"{name} out")

    async with anyio.create_task_group() as group:
        group.start_soon(hold, first, "a")
        await anyio.sleep(0.01)
        group.start_soon(hold, second, "b")
    assert order == ["a in", "a out", "b in", "b out"]


async def test_a_cancelled_wait_for_the_lock_does_not_keep_it(tmp_path: Path) -> None:
    path = tmp_path / "sign-in.json"
    first, second = FileSignInStore(path, KEY), FileSignInStore(path, KEY)
    async with first.locked():
        with anyio.move_on_after(0.3):
            async with second.locked():
                pytest.fail("got a lock another holder has")
    with anyio.fail_after(5):
        async with second.locked():
            pass


def settings(tmp_path: Path, **given: object) -> Settings:
    return Settings(oauth_client_id="cid", **given)  # type: ignore[arg-type]


async def test_without_a_keyring_the_default_file_is_under_the_config_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_keyring: None
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    store = desktop_store(settings(tmp_path))
    assert isinstance(store, FileSignInStore)
    assert store.path == tmp_path / "anaplan-mcp" / "sign-in.json"
    assert not stored_sign_in_exists(settings(tmp_path))
    await store.save(TOKENS)
    assert stored_sign_in_exists(settings(tmp_path))
    assert not stored_sign_in_exists(settings(tmp_path, region="au1a"))


async def test_a_usable_keyring_keeps_the_sign_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, memory_keyring: MemoryKeyring
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    store = desktop_store(settings(tmp_path))
    assert isinstance(store, KeyringSignInStore)
    await store.save(TOKENS)
    assert memory_keyring.entries == {("anaplan-mcp", KEY): json.dumps(TOKENS.to_dict())}
    assert await store.load() == TOKENS
    assert stored_sign_in_exists(settings(tmp_path))
    assert not (tmp_path / "anaplan-mcp" / "sign-in.json").exists()  # no token on disk
    await store.forget()
    await store.forget()  # nothing left to forget is not an error
    assert memory_keyring.entries == {}


async def test_a_named_file_wins_over_the_keyring(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    store = desktop_store(settings(tmp_path, token_store=str(tmp_path / "mine.json")))
    assert isinstance(store, FileSignInStore)
    assert store.path == tmp_path / "mine.json"


async def test_a_refusing_keyring_is_one_line_with_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, memory_keyring: MemoryKeyring
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    memory_keyring.refuse = True
    store = desktop_store(settings(tmp_path))
    for call in (store.load(), store.save(TOKENS)):
        with pytest.raises(SignInStoreError) as caught:
            await call
        message = str(caught.value)
        assert "ANAPLAN_MCP_TOKEN_STORE" in message and "MemoryKeyring" in message
        assert "secret" not in message and "\n" not in message
