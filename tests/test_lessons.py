"""Set-up links and lessons: parsing, writing back, what is reported, and the lesson files."""

import pytest

from playground.lab import lessons as lesson_book
from playground.lab import links as setup_link
from playground.errors import PlaygroundError
from playground.models import architecture
from playground.models.sizes import parameter_count


def test_a_link_is_read_into_checked_values():
    values, problems = setup_link.parse(
        "tab=generate&builtin=markov-babble&arch=transformer&layers=3&learning_rate=0.001&prompt=ROMEO:%0A"
        "&temperatures=0.2,1,1.5&top_p=0.9&seed=7")
    assert values == {"tab": "generate", "builtin": "markov-babble", "arch": "transformer", "layers": 3,
                      "learning_rate": 0.001, "prompt": "ROMEO:\n", "temperatures": (0.2, 1.0, 1.5), "top_p": 0.9,
                      "seed": 7}
    assert problems == []


def test_bad_values_are_reported_one_line_each_and_ignored():
    values, problems = setup_link.parse(
        "tab=nowhere&units=99999&layers=1.5&top_p=abc&temperatures=0.5,9&bogus=1&arch=lstm&__theme=dark")
    assert values == {"arch": "lstm"}
    assert problems == [
        "tab='nowhere' is not one of corpus, model, train, generate, inside, read, compare, runs, lessons",
        "units='99999' is outside 16 to 1024",
        "layers='1.5' is not a whole number",
        "top_p='abc' is not a number",
        "temperatures='0.5,9': give 1 to 8 grid temperatures from 0 to 2",
        "unknown setting 'bogus'",
    ]
    assert setup_link.describe(problems[:1]) == (
        "Some settings in this link were ignored: tab='nowhere' is not one of corpus, model, train, generate, "
        "inside, read, compare, runs, lessons.")
    assert setup_link.describe([]) == ""


def test_a_link_leaves_out_the_defaults_and_round_trips():
    state = {"arch": "gru", "units": 192, "layers": 2, "learning_rate": 0.01, "epochs": 3.0, "minutes": 2.0,
             "temperatures": (0.2, 0.5, 0.7, 1.0, 1.2, 1.5), "prompt": "The ", "top_k": 5, "seed": 0}
    query = setup_link.to_query(state)
    # The GRU's own defaults (192 units, 2 layers) and the page's (3 epochs, the grid, the prompt) go.
    assert query == "arch=gru&minutes=2&learning_rate=0.01&top_k=5"
    values, problems = setup_link.parse(query)
    assert problems == [] and values == {"arch": "gru", "minutes": 2.0, "learning_rate": 0.01, "top_k": 5}
    assert setup_link.to_query(values) == query
    assert setup_link.to_query({}) == ""


@pytest.mark.parametrize("text, message", [
    ("no front matter\n## Step\n", "must start with a '---' front matter"),
    ("---\ntitle: x\n## Step\n", "the front matter has no closing '---'"),
    ("---\nsummary: x\n---\n## Step\n", "the front matter needs a title"),
    ("---\ntitle: x\n---\nno steps here\n", "it has no steps"),
    ("---\ntitle: x\n---\n## One\nsetup: units=5\n", "step 'One': units='5' is outside 16 to 1024"),
])
def test_broken_lessons_say_what_is_wrong(text, message):
    with pytest.raises(PlaygroundError, match=message):
        lesson_book.parse("mine", text)


def test_a_lesson_file_becomes_steps_with_set_ups_and_questions():
    lesson = lesson_book.parse("demo", "---\ntitle: Demo\nsummary: A test.\n---\nIntro.\n\n## First\n"
                                       "setup: tab=generate&temperature=0.5\nquestion: Why?\n\nDo this.\n\n"
                                       "## Second\n\nThen that.\n")
    assert lesson.title == "Demo" and lesson.summary == "A test."
    assert lesson.steps == (lesson_book.Step("First", "Do this.", "tab=generate&temperature=0.5", "Why?"),
                            lesson_book.Step("Second", "Then that.", "", ""))


def test_built_in_lessons_load_and_a_teachers_broken_file_is_reported(tmp_path, monkeypatch):
    monkeypatch.setenv("PLAYGROUND_HOME", str(tmp_path))
    (tmp_path / "lessons").mkdir()
    (tmp_path / "lessons" / "broken.md").write_text("## no front matter\n")
    (tmp_path / "lessons" / "mine.md").write_text("---\ntitle: Mine\n---\n## Only step\nsetup: tab=compare\n")
    lessons, problems = lesson_book.load_all()
    assert [lesson.name for lesson in lessons] == ["1-temperature", "2-memorising", "3-lstm-vs-transformer",
                                                   "4-surprise", "mine"]
    assert problems == ["Lesson broken: the file must start with a '---' front matter."]
    assert all(len(lesson.steps) >= 3 for lesson in lessons[:4])


def test_the_matched_lesson_really_matches_its_models():
    """The LSTM-vs-transformer lesson promises models of about the same size on python-docs."""
    lesson = {lesson.name: lesson for lesson in lesson_book.load_all()[0]}["3-lstm-vs-transformer"]
    counts = []
    for step in lesson.steps[:2]:
        values, _ = setup_link.parse(step.setup)
        options = {k: values[k] for k in setup_link.MODEL_FIELDS if k in values}
        counts.append(parameter_count(architecture(values["arch"]).default_config(90, **options)))
    assert 0.8 < counts[0] / counts[1] < 1.25, counts


def test_a_run_retrained_like_itself_gives_the_same_loss(tmp_path, capsys):
    import json

    from conftest import make_text
    from playground import cli
    from playground.runs.card import write_card

    corpus_file = tmp_path / "corpus.txt"
    corpus_file.write_text(make_text(6000), encoding="utf-8")
    first, second = tmp_path / "first", tmp_path / "second"
    assert cli.main(["train", "--corpus", str(corpus_file), "--arch", "gru", "--units", "16", "--layers", "1",
                     "--embedding", "8", "--epochs", "0.3", "--batch-size", "16", "--window", "32", "--seed", "3",
                     "--lr", "0.01", "--out", str(first), "--json"]) == 0
    original = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert cli.main(["train", "--like", str(first), "--corpus", str(corpus_file), "--out", str(second),
                     "--json"]) == 0
    again = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert round(again["val_loss"], 4) == round(original["val_loss"], 4)
    saved = [json.loads((folder / "config.json").read_text()) for folder in (first, second)]
    assert saved[0]["model"] == saved[1]["model"] and saved[1]["model"]["arch"] == "gru"
    assert saved[1]["train"]["seed"] == 3 and saved[1]["train"]["learning_rate"] == 0.01
    assert saved[0]["corpus_sha256"] == saved[1]["corpus_sha256"]

    other = tmp_path / "other.txt"
    other.write_text(make_text(6000, seed=5), encoding="utf-8")
    assert cli.main(["train", "--like", str(first), "--corpus", str(other), "--out", str(tmp_path / "x")]) == 2
    assert f"is not the one first was trained on (SHA-256 {saved[0]['corpus_sha256'][:12]}…); pass --force" \
        in capsys.readouterr().err
    card = write_card(first, "python -m playground train ...").read_text()
    assert f"`{saved[0]['corpus_sha256']}`" in card and "train --like first --corpus" in card
