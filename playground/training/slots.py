"""A fair, first-come first-served cap on how many models train at once on one server.

Training takes every core it can get; two runs on two cores each run at half speed and
make generation sluggish for everyone. So runs queue for a slot, and whoever waits is
told their place in the queue.
"""

from __future__ import annotations

import collections
import contextlib
import os
import threading
from collections.abc import Callable


def default_slots() -> int:
    """``PLAYGROUND_MAX_TRAININGS``, else one training per two cores."""
    value = os.environ.get("PLAYGROUND_MAX_TRAININGS")
    if value:
        return max(1, int(value))
    return max(1, (os.cpu_count() or 2) // 2)


class Activity:
    """How many generation requests are running. Training steps wait while any are, so on a
    small server students asking for samples are answered first and training takes the rest."""

    def __init__(self):
        self._count = 0
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def generating(self):
        with self._lock:
            self._count += 1
        try:
            yield
        finally:
            with self._lock:
                self._count -= 1

    def busy(self) -> bool:
        return self._count > 0


class TrainingSlots:
    def __init__(self, slots: int | None = None):
        self.slots = slots or default_slots()
        self._running = 0
        self._queue: collections.deque[object] = collections.deque()
        self._changed = threading.Condition()

    def acquire(self, cancelled: Callable[[], bool], waiting: Callable[[int], None]) -> bool:
        """Wait for a slot, reporting the 1-based queue position as it changes. False if cancelled."""
        ticket = object()
        with self._changed:
            self._queue.append(ticket)
            reported = None
            try:
                while True:
                    position = self._queue.index(ticket) + 1
                    if position == 1 and self._running < self.slots:
                        self._running += 1
                        return True
                    if cancelled():
                        return False
                    if position != reported:
                        reported = position
                        waiting(position)
                    self._changed.wait(timeout=0.25)
            finally:
                self._queue.remove(ticket)
                self._changed.notify_all()

    def release(self) -> None:
        with self._changed:
            self._running -= 1
            self._changed.notify_all()

    @property
    def running(self) -> int:
        return self._running

    @property
    def waiting(self) -> int:
        return len(self._queue)
