"""A local emulator of Anaplan CloudWorks v2, the read-only Integration API and the auth service.

`Sandbox(SandboxConfig(...))` builds a seeded tenant behind one ASGI app (`sandbox.app`);
`runner.serve()` puts it on a port. Seeded ids are constants in `anaplan_mcp.sandbox.seed_ids`.
"""

from anaplan_mcp.sandbox.app import Sandbox, SandboxConfig

__all__ = ["Sandbox", "SandboxConfig"]
