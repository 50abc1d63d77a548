"""Which model a student means: :class:`ModelRef`, one of three kinds, and its two spellings.

* ``latest``: this session's latest trained model;
* ``shipped``: a model shipped in ``pretrained/``, by its folder's name (``lstm``);
* ``run``: a saved run, by its name (``my-run``).

The Generate tab's Model list (and the API behind it) spells them ``your latest trained model``,
``lstm`` and ``run: my-run``: :meth:`ModelRef.parse` and :attr:`ModelRef.label`. The Runs table, the
Compare and Read lists and a loaded model's own name spell a shipped model ``pretrained/lstm`` and a
run ``my-run``: :meth:`ModelRef.parse_listed` and :attr:`ModelRef.listed`. Whether a shipped model
or a run of that name exists is the catalog's and the run store's to say.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Literal

from playground.errors import PlaygroundError

LATEST = "your latest trained model"  # the Model list's label of this session's latest trained model
RUN_LABEL = "run: "  # before a run's name in the Model list (a run loaded from the Runs tab)
SHIPPED_PREFIX = "pretrained/"  # before a shipped model's name in the Runs table; run names cannot hold a "/"
KINDS = ("latest", "shipped", "run")
MODEL_LIST = (f"the Model list offers {LATEST!r}, the shipped models by name (such as 'lstm') and the runs "
              f"loaded in the Runs tab ({RUN_LABEL!r} and the run's name)")


@dataclasses.dataclass(frozen=True)
class ModelRef:
    """A model by kind and name (``latest`` has no name)."""

    kind: Literal["latest", "shipped", "run"]
    name: str = ""

    def __post_init__(self):
        if self.kind not in KINDS:
            raise PlaygroundError(f"A model is your latest trained one, a shipped one or a run (got {self.kind!r}).")
        if self.kind == "latest" and self.name:
            raise PlaygroundError(f"Your latest trained model has no name of its own (got {self.name!r}).")
        if self.kind != "latest" and not self.name:
            raise PlaygroundError(f"A {'shipped model' if self.kind == 'shipped' else 'run'} needs its name.")
        if self.kind == "shipped" and "/" in self.name:
            raise PlaygroundError(f"{self.name!r} is not a shipped model's name: it is a folder of "
                                  f"{SHIPPED_PREFIX} (such as 'lstm').")

    @classmethod
    def parse(cls, label: str) -> ModelRef:
        """The model an entry of the Model list names."""
        if not isinstance(label, str) or not label.strip():
            raise PlaygroundError(f"Choose a model: {MODEL_LIST}.")
        if label == LATEST:
            return cls("latest")
        if label.startswith(RUN_LABEL):
            name = label[len(RUN_LABEL):]
            if not name.strip():
                raise PlaygroundError(f"{label!r} names no run: write {RUN_LABEL!r} and the run's name "
                                      f"(such as 'run: my-run').")
            return cls("run", name)
        if label.startswith(SHIPPED_PREFIX):
            raise PlaygroundError(f"{label!r} is how the Runs table names a shipped model; the Model list names "
                                  f"it {label[len(SHIPPED_PREFIX):]!r}.")
        return cls("shipped", label)

    @property
    def label(self) -> str:
        """How the Model list names this model."""
        if self.kind == "latest":
            return LATEST
        return RUN_LABEL + self.name if self.kind == "run" else self.name

    @classmethod
    def parse_listed(cls, name: str) -> ModelRef:
        """The model a name in the Runs table (or the Compare and Read lists) means."""
        if not isinstance(name, str) or not name.strip():
            raise PlaygroundError("Choose a run or a shipped model first (by its name in the Runs table).")
        if name.startswith(SHIPPED_PREFIX):
            if not name[len(SHIPPED_PREFIX):]:
                raise PlaygroundError(f"{name!r} names no shipped model: write {SHIPPED_PREFIX!r} and its name "
                                      f"(such as 'pretrained/lstm').")
            return cls("shipped", name[len(SHIPPED_PREFIX):])
        return cls("run", name)

    @property
    def listed(self) -> str:
        """How the Runs table names this model (and a model loaded from there names itself)."""
        if self.kind == "latest":
            raise PlaygroundError("Your latest trained model is in the Runs table under its run's name.")
        return SHIPPED_PREFIX + self.name if self.kind == "shipped" else self.name

    @classmethod
    def from_link(cls, value: str) -> ModelRef:
        """The model a set-up link names: as the Model list does, or a shipped one as the Runs table does."""
        if isinstance(value, str) and value.startswith(SHIPPED_PREFIX):
            return cls.parse_listed(value)
        return cls.parse(value)


def offered(shipped_names: Iterable[str]) -> list[ModelRef]:
    """What the Model list always offers: the latest trained model, then the shipped models."""
    return [ModelRef("latest"), *(ModelRef("shipped", name) for name in shipped_names)]
