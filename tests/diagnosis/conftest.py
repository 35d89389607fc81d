"""The diagnosis tests drive the server over the in-process sandbox with the server suite's fixtures."""

from tests.server.conftest import make_server, sandbox  # noqa: F401  (re-exported fixtures)
