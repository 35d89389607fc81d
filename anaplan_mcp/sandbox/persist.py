"""The optional state file: written atomically, so a reader never sees half a file.

Each save writes a temporary file in the same directory, fsyncs it and `os.replace`s it over the
state file (then fsyncs the directory), so a crash leaves either the old or the new state.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

FORMAT_VERSION = 1


def save_state(path: Path, store: dict[str, Any], tokens: dict[str, Any]) -> None:
    """Write the tenant and the issued tokens to `path`, atomically and durably."""
    payload = {"format": FORMAT_VERSION, "store": store, "tokens": tokens}
    directory = path.parent if str(path.parent) else Path(".")
    directory.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(payload, stream, separators=(",", ":"))
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _fsync_directory(directory)


def load_state(path: Path) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """`(store, tokens)` from `path`, or None when there is no state file yet."""
    if not path.exists():
        return None
    payload = json.loads(path.read_text(encoding="utf-8"))
    if payload.get("format") != FORMAT_VERSION:
        raise ValueError(f"{path}: unsupported sandbox state format {payload.get('format')!r}")
    return payload["store"], payload.get("tokens", {})


def _fsync_directory(directory: Path) -> None:
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
