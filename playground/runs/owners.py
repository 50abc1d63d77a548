"""Who may see and change a run: its owner, the class when it is published, and teachers.

Every run records its ``owner`` in ``config.json``: the login name when the server asks for one
(``PLAYGROUND_AUTH``), otherwise an identity the browser keeps across reloads, or one per API
client. Runs from the command line belong to :data:`LOCAL`; they show in the app only when it
runs without a login (one person's machine), where they are that person's.

A published run can be seen, loaded and compared by everyone; only its owner (or a teacher)
changes it. Teachers (``PLAYGROUND_TEACHERS=alice,bob``, login names) see and manage every run.
"""

from __future__ import annotations

import dataclasses
import os

LOCAL = "local"


def teachers() -> frozenset[str]:
    return frozenset(name.strip() for name in os.environ.get("PLAYGROUND_TEACHERS", "").split(",") if name.strip())


def owner_of(info: dict) -> str:
    owner = info.get("owner")
    return owner if isinstance(owner, str) and owner else LOCAL


def is_published(info: dict) -> bool:
    return info.get("published") is True


@dataclasses.dataclass(frozen=True)
class Viewer:
    """The person asking. ``single_user``: the server has no login, so command-line runs are theirs."""

    name: str = LOCAL
    teacher: bool = False
    single_user: bool = True

    @classmethod
    def logged_in(cls, name: str) -> Viewer:
        return cls(name, teacher=name in teachers(), single_user=False)

    def owns(self, info: dict) -> bool:
        owner = owner_of(info)
        return owner == self.name or (owner == LOCAL and self.single_user)

    def can_see(self, info: dict) -> bool:
        return self.teacher or self.owns(info) or is_published(info)

    def can_change(self, info: dict) -> bool:
        return self.teacher or self.owns(info)


EVERYONE = Viewer(LOCAL, teacher=True)  # the command line and the server's own housekeeping
