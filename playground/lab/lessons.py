"""Guided lessons: Markdown files with a small front matter, each a few steps with a set-up link.

    ---
    title: What temperature does
    summary: One sentence shown in the list.
    ---
    ## The next token
    setup: tab=generate&temperature=0.5
    question: Why do the bars get taller at low temperature?

    What to do and what to look at, in Markdown.

Each ``##`` heading starts a step; its ``setup:`` line is a query string (see
:mod:`playground.lab.links`) that the "Set it up for me" button applies, and its ``question:``
line is what to think about. The built-in lessons live in ``playground/lessons/``; a teacher adds
their own by dropping files into ``$PLAYGROUND_HOME/lessons/``. A broken file is reported in one
line and the other lessons still load.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from playground.lab import links as setup_link
from playground.errors import PlaygroundError
from playground.paths import workspace

BUILT_IN = Path(__file__).resolve().parents[1] / "lessons"
MAX_LESSON_BYTES = 100_000


@dataclasses.dataclass(frozen=True)
class Step:
    title: str
    body: str
    setup: str = ""  # a query string
    question: str = ""


@dataclasses.dataclass(frozen=True)
class Lesson:
    name: str  # the file's stem: how links and lists name it
    title: str
    summary: str
    steps: tuple[Step, ...]

    def step_at(self, index: int) -> tuple[int, Step]:
        """The step at ``index``, kept within the lesson (before the first: the first; past the last: the last)."""
        index = max(0, min(int(index), len(self.steps) - 1))
        return index, self.steps[index]


def parse(name: str, text: str) -> Lesson:
    """One lesson from its file's text; PlaygroundError says what is wrong with a broken one."""
    lines = text.replace("\r\n", "\n").split("\n")
    if not lines or lines[0].strip() != "---":
        raise PlaygroundError(f"Lesson {name}: the file must start with a '---' front matter.")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        raise PlaygroundError(f"Lesson {name}: the front matter has no closing '---'.") from None
    front = {}
    for line in lines[1:end]:
        if line.strip():
            key, colon, value = line.partition(":")
            if not colon:
                raise PlaygroundError(f"Lesson {name}: front matter line {line.strip()!r} has no 'key: value'.")
            front[key.strip().lower()] = value.strip()
    if not front.get("title"):
        raise PlaygroundError(f"Lesson {name}: the front matter needs a title.")
    steps, current = [], None
    for line in lines[end + 1:]:
        if line.startswith("## "):
            current = {"title": line[3:].strip(), "body": [], "setup": "", "question": ""}
            steps.append(current)
        elif current is None:
            continue  # text before the first step is an introduction the list does not show
        elif line.startswith(("setup:", "question:")) and not current["body"]:
            key, _, value = line.partition(":")
            current[key] = value.strip()
        else:
            current["body"].append(line)
    if not steps:
        raise PlaygroundError(f"Lesson {name}: it has no steps ('## ' headings).")
    made = []
    for step in steps:
        _, problems = setup_link.parse(step["setup"])
        if problems:
            raise PlaygroundError(f"Lesson {name}, step {step['title']!r}: {'; '.join(problems)}.")
        made.append(Step(step["title"], "\n".join(step["body"]).strip(), step["setup"], step["question"]))
    return Lesson(name, front["title"], front.get("summary", ""), tuple(made))


def folders() -> list[Path]:
    return [BUILT_IN, workspace() / "lessons"]


def load_all() -> tuple[list[Lesson], list[str]]:
    """Every lesson (built-in first, then the teacher's, in name order) and one line per broken file."""
    lessons, problems = [], []
    for folder in folders():
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.md")):
            try:
                if path.stat().st_size > MAX_LESSON_BYTES:
                    raise PlaygroundError(f"Lesson {path.stem}: the file is over {MAX_LESSON_BYTES // 1000} KB.")
                lessons.append(parse(path.stem, path.read_text("utf-8")))
            except UnicodeDecodeError:
                problems.append(f"Lesson {path.stem}: the file is not UTF-8 text.")
            except PlaygroundError as error:
                problems.append(str(error))
    return lessons, problems


def find(name: str) -> Lesson:
    """The lesson called ``name`` (its file's stem), among every lesson that loads."""
    for lesson in load_all()[0]:
        if lesson.name == name:
            return lesson
    raise PlaygroundError(f"There is no lesson called {name!r}.")
