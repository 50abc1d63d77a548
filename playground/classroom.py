"""The class view: every training in progress, the training queue, and a leaderboard per text.

Teachers (``PLAYGROUND_TEACHERS``) see everything, by name, or by initials on a projector. When the
teacher opens the view to the class (``PLAYGROUND_CLASS_VIEW=open``), everyone else sees the
leaderboard of published runs, by their owners' names. Trainings are read from the sessions'
monitors, whichever computer trains them; finished runs from the run store. Nothing here waits
for a model: a leaderboard sample is written in the background and shown once it exists.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
from collections.abc import Callable, Iterable

from playground.errors import PlaygroundError
from playground.runs.leaderboard import Leaderboard, Table
from playground.runs.owners import LOCAL, Viewer, is_published
from playground.training.monitor import Glance, TrainingMonitor

OPEN_VARIABLE = "PLAYGROUND_CLASS_VIEW"
REFUSAL = ("The class view is for teachers: log in with a teacher's name, or ask your teacher to open it "
           "to the class.")
TEACHERS_ONLY = ("Trainings in progress are shown to teachers only; a run appears in the leaderboard when its "
                 "owner publishes it (Runs tab).")
ANONYMOUS = re.compile(r"^(browser|guest)-([0-9a-f]{4})[0-9a-f]*$")  # identities without a login


def opened() -> bool:
    """Whether the teacher has opened the class view to everyone (``PLAYGROUND_CLASS_VIEW=open``)."""
    return os.environ.get(OPEN_VARIABLE, "").strip().lower() == "open"


def audience(viewer: Viewer) -> str | None:
    """What ``viewer`` may see: "teacher" (everything), "class" (published runs), or None (nothing)."""
    if viewer.teacher:
        return "teacher"
    return "class" if opened() else None


def display_name(owner: str) -> str:
    """How a run's owner is shown: the login name; a browser without a login by a short code."""
    anonymous = ANONYMOUS.match(owner)
    if anonymous:
        return f"{anonymous.group(1)} {anonymous.group(2)}"
    return "this computer" if owner == LOCAL else owner


def initials(names: Iterable[str]) -> dict[str, str]:
    """Each shown name's initials for a projector ("ada_lovelace" -> "AL"); names that share initials
    are numbered in alphabetical order ("AL1", "AL2"); names without a login are already anonymous."""
    distinct = sorted(set(names))
    short = {name: name if ANONYMOUS.match(name.replace(" ", "-")) or name == display_name(LOCAL)
             else "".join(part[0] for part in re.split(r"[\s._\-@]+", name) if part).upper()[:3] or "?"
             for name in distinct}
    shared: dict[str, list[str]] = {}
    for name in distinct:
        shared.setdefault(short[name], []).append(name)
    return {name: f"{short[name]}{group.index(name) + 1}" if len(group) > 1 else short[name]
            for group in shared.values() for name in group}


@dataclasses.dataclass(frozen=True)
class ClassData:
    """One look at the class, everything already in the words and names the page shows."""

    audience: str  # "teacher" or "class"
    live: tuple[Glance, ...]  # training, or preparing to, ordered by student
    queue: tuple[Glance, ...]  # waiting for a training slot, first in line first
    tables: tuple[Table, ...]  # finished runs, one table per held-out text
    names: dict[str, str]  # owner -> as shown (a name, or initials)
    note: str = ""

    def name(self, owner: str) -> str:
        return self.names.get(owner, display_name(owner))

    def as_json(self) -> dict:
        """The same data as strict JSON (no NaN), owners only by the names shown."""
        return {
            "audience": self.audience,
            "note": self.note,
            "live": [self._live(glance) for glance in self.live],
            "queue": [{"student": self.name(g.owner), "place": g.queue_position, "run": g.run_name, "arch": g.arch,
                       "level": g.level} for g in self.queue],
            "leaderboard": [{
                "corpus": table.corpus, "corpus_sha256": table.corpus_sha256, "level": table.level,
                "validation_share": table.validation_share,
                "runs": [{"rank": e.rank, "run": e.run, "student": self.name(e.owner), "arch": e.arch,
                          "parameters": e.parameters, "seconds": _number(e.seconds),
                          "bits_per_character": _number(e.bits_per_character), "status": e.status,
                          "whole_held_out_text": e.whole_text, "sample": e.sample} for e in table.entries],
            } for table in self.tables],
        }

    def _live(self, glance: Glance) -> dict:
        beaten = glance.beaten
        return {
            "student": self.name(glance.owner), "run": glance.run_name, "arch": glance.arch, "level": glance.level,
            "state": glance.state, "step": glance.step, "total_steps": glance.total_steps,
            "seconds": _number(glance.seconds), "parameters": glance.params,
            "bits_per_character": _number(glance.bits_per_character),
            "training_bits_per_character": _number(glance.training_bits_per_character),
            "beaten": {"label": beaten[0], "bits_per_character": _number(beaten[1])} if beaten else None,
            "baselines": [{"label": label, "bits_per_character": _number(value)} for label, value in glance.baselines],
            "curve": {"steps": list(glance.curve_steps), "bits_per_character": [_number(v) for v in glance.curve]},
            "validation": {"steps": list(glance.val_steps),
                           "bits_per_character": [_number(v) for v in glance.val_curve]},
        }


def _number(value: float | None, digits: int = 4) -> float | None:
    return round(float(value), digits) if value is not None and math.isfinite(value) else None


class ClassView:
    """The class view of one server: ``monitors`` lists the sessions' training monitors."""

    def __init__(self, monitors: Callable[[], Iterable[TrainingMonitor]], leaderboard: Leaderboard | None = None):
        self.monitors = monitors
        self.leaderboard = leaderboard or Leaderboard()

    def data(self, viewer: Viewer, hide_names: bool = False) -> ClassData:
        """What ``viewer`` may see of the class now; refused (with the sentence to show) for a student
        unless the view is open to the class."""
        who = audience(viewer)
        if who is None:
            raise PlaygroundError(REFUSAL)
        glances = [monitor.glance() for monitor in self.monitors()] if who == "teacher" else []
        live = [g for g in glances if g.live and g.state != "queued"]
        queue = sorted((g for g in glances if g.state == "queued"), key=lambda g: g.queue_position or 0)
        tables = self.leaderboard.tables(viewer.can_see if who == "teacher" else is_published)
        owners = {g.owner for g in glances if g.live} | {e.owner for t in tables for e in t.entries}
        shown = {owner: display_name(owner) for owner in owners}
        if hide_names:
            short = initials(shown.values())
            shown = {owner: short[name] for owner, name in shown.items()}
        live.sort(key=lambda g: (shown[g.owner].lower(), g.run_name))
        return ClassData(who, tuple(live), tuple(queue), tuple(tables), shown,
                         "" if who == "teacher" else TEACHERS_ONLY)
