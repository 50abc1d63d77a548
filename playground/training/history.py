"""A run's loss history: per-step training loss and periodic validation loss, as rows and CSV."""

from __future__ import annotations

import dataclasses
import math


@dataclasses.dataclass
class History:
    """Per-step training loss and periodic validation loss, in nats per token.

    Architectures may add columns of their own (a GAN adds ``d_loss``, ``g_loss``,
    ``d_accuracy``); they are written after the standard ones, empty where not measured.
    """

    COLUMNS = ("step", "epoch", "seconds", "train_loss", "val_loss")

    rows: list[dict] = dataclasses.field(default_factory=list)
    extra_columns: list[str] = dataclasses.field(default_factory=list)

    def add(self, step: int, epoch: float, seconds: float, train_loss=math.nan, val_loss=math.nan,
            **extra: float) -> None:
        for column in extra:
            if column not in self.extra_columns:
                self.extra_columns.append(column)
        self.rows.append({"step": step, "epoch": round(epoch, 4), "seconds": round(seconds, 3),
                          "train_loss": train_loss, "val_loss": val_loss, **extra})

    def best_val_loss(self) -> float | None:
        values = [r["val_loss"] for r in self.rows if not math.isnan(r["val_loss"])]
        return min(values) if values else None

    def to_csv(self) -> str:
        columns = [*self.COLUMNS, *self.extra_columns]
        lines = [",".join(columns)]
        for row in self.rows:
            cells = [row.get(column, math.nan) for column in columns]
            lines.append(",".join("" if isinstance(c, float) and math.isnan(c) else f"{c}" for c in cells))
        return "\n".join(lines) + "\n"

    @classmethod
    def from_csv(cls, text: str) -> History:
        history = cls()
        lines = text.strip().splitlines()
        columns = lines[0].split(",") if lines else list(cls.COLUMNS)
        for line in lines[1:]:
            cells = dict(zip(columns, line.split(",")))
            values = {c: float(v) if v else math.nan for c, v in cells.items() if c != "step"}
            history.add(int(cells["step"]), values.pop("epoch"), values.pop("seconds"), values.pop("train_loss"),
                        values.pop("val_loss"), **values)
        return history
