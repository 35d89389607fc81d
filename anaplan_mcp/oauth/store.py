"""The desktop sign-in store: the OS keyring when one is usable, else a 0600 JSON file.

`ANAPLAN_MCP_TOKEN_STORE` names the file, and naming it asks for it: the keyring is then not used.
Without it the file is `$XDG_CONFIG_HOME/anaplan-mcp/sign-in.json` (or `~/.config/...`). Each
record is keyed by the OAuth client id and the OAuth host, so a sign-in made for one client (or
region) is never sent with another. Refreshes of one sign-in are serialised by an anyio lock
within the process and an advisory file lock (`flock`, through `filelock`) beside the store across
processes; the kernel lets go of the file lock when a process dies, even by SIGKILL.
"""

from __future__ import annotations

import contextvars
import json
import logging
import os
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
import filelock

from anaplan_mcp.oauth.client import OAuthTokens
from anaplan_mcp.oauth.errors import LOGIN_AGAIN, SignInStoreCorrupt, SignInStoreError

logger = logging.getLogger(__name__)

KEYRING_SERVICE = "anaplan-mcp"
STORE_VARIABLE = "ANAPLAN_MCP_TOKEN_STORE"
_FORMAT = 1
_LOCK_POLL = 0.25  # seconds a lock attempt blocks its worker thread, so cancellation is heard


def default_store_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "anaplan-mcp" / "sign-in.json"


def sign_in_key(client_id: str, oauth_url: str) -> str:
    return f"{client_id} {oauth_url.rstrip('/')}"


class _LockedStore:
    """The locking shared by both stores: one sign-in key, one lock file."""

    def __init__(self, lock_path: Path, key: str) -> None:
        self.key = key
        self._lock_path = lock_path
        self._task_lock = anyio.Lock()
        self._holding: contextvars.ContextVar[bool] = contextvars.ContextVar(
            f"holding:{lock_path}", default=False
        )

    @asynccontextmanager
    async def locked(self) -> AsyncIterator[None]:
        if self._holding.get():
            yield  # save() or forget() inside a refresh: the lock is already this task's
            return
        async with self._task_lock:
            lock = await _take_file_lock(self._lock_path)
            reset = self._holding.set(True)
            try:
                yield
            finally:
                self._holding.reset(reset)
                lock.release()


async def _take_file_lock(path: Path) -> filelock.BaseFileLock:
    """The file lock, waited for in worker threads so that the event loop keeps running."""
    _private_dir(path.parent)
    # thread_local=False: each attempt runs in whichever worker thread anyio picks.
    lock = filelock.FileLock(path, mode=0o600, thread_local=False)

    def attempt() -> bool:
        try:
            lock.acquire(timeout=_LOCK_POLL)
        except filelock.Timeout:
            return False
        return True

    while True:
        try:
            if await anyio.to_thread.run_sync(attempt):
                return lock
        except BaseException:
            # Cancelled while a thread was waiting: it may have got the lock after all.
            if lock.is_locked:
                lock.release()
            raise


def _private_dir(directory: Path) -> None:
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise SignInStoreError(
            f"cannot create {directory} for the Anaplan sign-in ({exc.strerror}); set "
            f"{STORE_VARIABLE} to a file in a writable directory"
        ) from None


class FileSignInStore(_LockedStore):
    """Sign-ins in one JSON file (mode 0600, replaced atomically), keyed per client and host."""

    def __init__(self, path: Path, key: str) -> None:
        super().__init__(path.with_name(path.name + ".lock"), key)
        self.path = path

    def __repr__(self) -> str:
        return f"FileSignInStore(path={str(self.path)!r})"

    async def load(self) -> OAuthTokens | None:
        record = (await anyio.to_thread.run_sync(self._read))[1].get(self.key)
        if record is None:
            return None
        try:
            return OAuthTokens.from_dict(record)
        except ValueError:
            raise self._corrupt() from None

    async def save(self, tokens: OAuthTokens) -> None:
        async with self.locked():
            await anyio.to_thread.run_sync(self._update, tokens)

    async def forget(self) -> None:
        async with self.locked():
            await anyio.to_thread.run_sync(self._update, None)

    def holds(self) -> bool:
        """Whether a sign-in is kept for this key (read without the lock: writes are atomic)."""
        return self.key in self._read()[1]

    def _corrupt(self) -> SignInStoreCorrupt:
        return SignInStoreCorrupt(
            f"the Anaplan sign-in store {self.path} ({STORE_VARIABLE}) is corrupt; "
            f"{LOGIN_AGAIN}, which replaces it"
        )

    def _read(self) -> tuple[bool, dict[str, Any]]:
        """(whether the file holds sign-ins, the sign-ins by key)."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return False, {}
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not text"
            raise SignInStoreError(
                f"cannot read the Anaplan sign-in store {self.path} ({reason}); make it readable "
                f"by this user or set {STORE_VARIABLE} to another file"
            ) from None
        try:
            data = json.loads(text)
        except ValueError:
            raise self._corrupt() from None
        sign_ins = data.get("sign_ins") if isinstance(data, dict) else None
        if not isinstance(sign_ins, dict):
            raise self._corrupt()
        return True, sign_ins

    def _update(self, tokens: OAuthTokens | None) -> None:
        try:
            sign_ins = self._read()[1]
        except SignInStoreCorrupt:
            # Nothing in a file nobody can parse is usable (the other records were lost with its
            # contents already): a fresh sign-in replaces it, forgetting removes it.
            if tokens is None:
                self.path.unlink(missing_ok=True)
                return
            logger.warning("replacing the corrupt sign-in store %s", self.path)
            sign_ins = {}
        if tokens is None:
            if sign_ins.pop(self.key, None) is None:
                return
        else:
            sign_ins[self.key] = tokens.to_dict()
        self._write({"format": _FORMAT, "sign_ins": sign_ins})

    def _write(self, data: dict[str, Any]) -> None:
        _private_dir(self.path.parent)
        # mkstemp creates the file with mode 0600 from the start (no window in which another user
        # could open it), in the same directory so that os.replace is an atomic rename.
        try:
            fd, temporary = tempfile.mkstemp(prefix=".sign-in-", dir=self.path.parent)
        except OSError as exc:
            raise SignInStoreError(
                f"cannot write the Anaplan sign-in store in {self.path.parent} ({exc.strerror}); "
                f"set {STORE_VARIABLE} to a file in a writable directory"
            ) from None
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(data, out)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        _sync_directory(self.path.parent)  # the rename itself survives a power cut


def _sync_directory(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return  # not every platform opens directories (Windows); the rename is still atomic
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class KeyringSignInStore(_LockedStore):
    """Sign-ins in the OS keyring (one entry per client and host); the lock file in the config dir."""

    def __init__(self, backend: Any, lock_path: Path, key: str) -> None:
        super().__init__(lock_path, key)
        self._backend = backend

    def __repr__(self) -> str:
        return f"KeyringSignInStore(backend={type(self._backend).__name__!r})"

    def holds(self) -> bool:
        """Whether a sign-in is kept for this key."""
        return self._backend.get_password(KEYRING_SERVICE, self.key) is not None

    def _refused(self, exc: Exception) -> SignInStoreError:
        return SignInStoreError(
            f"the OS keyring ({type(self._backend).__name__}) refused the Anaplan sign-in "
            f"({type(exc).__name__}); unlock it, or set {STORE_VARIABLE} to a file to keep the "
            f"sign-in there"
        )

    async def _call(self, method: str, *args: str) -> Any:
        from keyring.errors import KeyringError, PasswordDeleteError

        try:
            return await anyio.to_thread.run_sync(
                getattr(self._backend, method), KEYRING_SERVICE, *args
            )
        except PasswordDeleteError:
            return None  # nothing stored: forgetting is done
        except KeyringError as exc:
            raise self._refused(exc) from None

    async def load(self) -> OAuthTokens | None:
        text = await self._call("get_password", self.key)
        if text is None:
            return None
        try:
            return OAuthTokens.from_dict(json.loads(text))
        except ValueError:
            raise SignInStoreCorrupt(
                f"the Anaplan sign-in in the OS keyring (service {KEYRING_SERVICE}) is corrupt; "
                f"{LOGIN_AGAIN}"
            ) from None

    async def save(self, tokens: OAuthTokens) -> None:
        async with self.locked():
            await self._call("set_password", self.key, json.dumps(tokens.to_dict()))

    async def forget(self) -> None:
        async with self.locked():
            await self._call("delete_password", self.key)


def usable_keyring() -> Any | None:
    """The keyring backend in effect, or None when it is the fail or null one (no real keyring)."""
    try:
        import keyring
        from keyring.backends import chainer, fail, null
    except ImportError:  # pragma: no cover -- a declared dependency; a broken install is the case
        return None
    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring | null.Keyring):
        return None
    if isinstance(backend, chainer.ChainerBackend) and not backend.backends:
        return None
    return backend
