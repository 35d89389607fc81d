"""The sandbox's sense of time.

Runs finish, tokens expire and schedules are checked against this clock, never against the wall
clock directly, so tests move time forward instead of sleeping.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class Clock:
    """Wall-clock time plus an offset; `freeze()` stops it so tests see exact instants."""

    def __init__(self, frozen_at: datetime | None = None) -> None:
        self._offset = timedelta()
        self._frozen_at = frozen_at

    def now(self) -> datetime:
        base = self._frozen_at if self._frozen_at is not None else datetime.now(UTC)
        return base + self._offset

    def timestamp(self) -> float:
        return self.now().timestamp()

    def advance(self, seconds: float) -> None:
        self._offset += timedelta(seconds=seconds)

    def freeze(self, at: datetime | None = None) -> None:
        self._frozen_at = at or self.now()
        self._offset = timedelta()

    def unfreeze(self) -> None:
        if self._frozen_at is not None:
            self._offset = self._frozen_at - datetime.now(UTC)
            self._frozen_at = None

    @property
    def frozen(self) -> bool:
        return self._frozen_at is not None
