"""Take it home: a run exported as a Jupyter notebook that needs only TensorFlow and NumPy.

Each architecture's notebook is run by a real Jupyter kernel (nbclient) on a tiny run, with its
training cell cut to a few steps; it must give the playground's next-token probabilities for the
same prompt and write the same text with the same seed, temperatures and filters.
"""

import json
import math
import zipfile

import numpy as np
import pytest

from playground.errors import PlaygroundError
from playground.generation.sampling import SamplingSettings
from playground.models import architecture
from playground.runs import notebook
from playground.runs import store as run_store
from playground.runs.bundle import load_text_model
from playground.runs.catalog import Catalog
from playground.runs.training_run import TrainingRun
from playground.text import corpus
from playground.training.config import TrainConfig

from conftest import make_text

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

TINY_TRAINING = dict(epochs=0.3, batch_size=8, window=16, eval_every_seconds=60, report_every_seconds=600,
                     eval_tokens=256, sample_length=5)
# (architecture, sizes, token level, prompt, filters): every architecture, every token level, every filter.
CASES = {
    "lstm": ("lstm", {"units": 24, "layers": 2, "embedding_dim": 0}, "char", "The cat",
             SamplingSettings(top_k=5, top_p=0.9, min_p=0.05)),
    "gru": ("gru", {"units": 24, "layers": 1, "embedding_dim": 8, "dropout": 0.1}, "word", "the cat sat",
            SamplingSettings()),
    "transformer": ("transformer", {"layers": 2, "embedding_dim": 16, "heads": 2, "context": 32, "dropout": 0.1},
                    "subword", "the old red", SamplingSettings(top_p=0.8)),
    "gan": ("gan", {"units": 24, "embedding_dim": 8, "cell": "gru", "pretrain_share": 0.5, "d_filters": 4,
                    "d_embedding": 8, "adversarial_length": 16}, "char", "A small", SamplingSettings(top_k=3)),
    "gan-naive": ("gan-naive", {"units": 16, "noise_dim": 8}, "char", "", SamplingSettings()),
}
TEMPERATURES = [0.0, 0.7, 1.0, 1.5]
LENGTH = 12
SEED = 3
TRAIN_STEPS = 3


def tiny_run(folder, arch, sizes, level, **training) -> TrainingRun:
    run = TrainingRun(corpus.from_text(make_text(6000)), arch, sizes, TrainConfig(**{**TINY_TRAINING, **training}),
                      level=level, subword_vocab=120, run_dir=folder)
    run.execute()
    return run


def unpacked(archive, into):
    with zipfile.ZipFile(archive) as zipped:
        zipped.extractall(into)
        names = sorted(zipped.namelist())
    return names


def execute(folder, name, overrides: str, before_training: str, final: str):
    """Run ``<name>.ipynb`` in ``folder`` with a cell of ``overrides`` after its parameters, a cell
    ``before_training`` after the text is generated and ``final`` at its end; returns the executed notebook
    and what the two cells printed (one JSON object each)."""
    from nbclient import NotebookClient

    pages = nbformat.read(folder / f"{name}.ipynb", as_version=4)
    nbformat.validate(pages)
    at = next(i for i, cell in enumerate(pages.cells) if "parameters" in cell.metadata.get("tags", []))
    pages.cells.insert(at + 1, nbformat.v4.new_code_cell(overrides))
    at = next(i for i, cell in enumerate(pages.cells) if "samples = generate(" in cell.source)
    probe = nbformat.v4.new_code_cell(before_training)
    pages.cells.insert(at + 1, probe)
    pages.cells.append(nbformat.v4.new_code_cell(final))
    NotebookClient(pages, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(folder)}}).execute()
    return pages, {**printed_json(probe), **printed_json(pages.cells[-1])}


def printed_json(cell) -> dict:
    printed = "".join(output.get("text", "") for output in cell.outputs if output.output_type == "stream")
    return json.loads(printed.strip().splitlines()[-1])


@pytest.mark.parametrize("case", list(CASES))
def test_the_notebook_rebuilds_the_network_gives_the_same_probabilities_and_text_and_keeps_training(tmp_path, case):
    arch, sizes, level, prompt, settings = CASES[case]
    tiny_run(tmp_path / "run", arch, sizes, level)
    archive = notebook.write(tmp_path / "run", tmp_path / "out" / "run-notebook.zip")
    names = unpacked(archive, tmp_path / "home")
    assert names == ["run/corpus.txt", "run/run.ipynb", "run/tokenizer.json", "run/weights.npz"]
    folder = tmp_path / "home" / "run"
    overrides = (f"PROMPT = {prompt!r}\nLENGTH = {LENGTH}\nTEMPERATURES = {TEMPERATURES}\nSEED = {SEED}\n"
                 f"TOP_K, TOP_P, MIN_P = {settings.top_k}, {settings.top_p}, {settings.min_p}\n"
                 f"TRAIN_STEPS = {TRAIN_STEPS}\nEVALUATION_TOKENS = 256")
    before_training = ("import json\n"
                       "print(json.dumps({'t1': next_token_probabilities(PROMPT).tolist(),\n"
                       "                  't07': next_token_probabilities(PROMPT, 0.7).tolist(), 'samples': samples}))")
    final = ("import json, sys\n"
             "print(json.dumps({'losses': losses,\n"
             "                  'imported': sorted(m for m in sys.modules if m.split('.')[0] == 'playground')}))")
    pages, seen = execute(folder, "run", overrides, before_training, final)

    text_model = load_text_model(tmp_path / "run")
    # Same model: the probabilities of the next token, at T = 1 and at 0.7 through the filters.
    for key, temperature in (("t1", 1.0), ("t07", 0.7)):
        expected = text_model.next_token(prompt, temperature, settings).probability_by_id
        np.testing.assert_allclose(seen[key], expected, atol=1e-5, err_msg=f"{case} at T = {temperature}")
    # Same text: greedy (T = 0) and sampled, from the same seed.
    samples = text_model.generate(prompt, TEMPERATURES, LENGTH, SEED, settings)
    assert seen["samples"] == [sample.text for sample in samples]
    # It kept training, without the playground.
    assert len(seen["losses"]) == TRAIN_STEPS and all(math.isfinite(loss) for loss in seen["losses"])
    assert seen["imported"] == []
    sources = [cell.source for cell in pages.cells]
    assert "import playground" not in "\n".join(sources) and "from playground" not in "\n".join(sources)
    first = pages.cells[0].source
    assert ("generator only" in first) == arch.startswith("gan")
    assert first.startswith(f"# run: {architecture(arch).label}, taken home")


def test_the_parameters_cell_asks_for_the_four_temperatures_and_is_tagged_for_tools(tmp_path):
    tiny_run(tmp_path / "run", "lstm", {"units": 8, "layers": 1, "embedding_dim": 4}, "char")
    pages = notebook.notebook(*_loaded(tmp_path / "run"), has_corpus=True)
    nbformat.validate(nbformat.from_dict(pages))
    (parameters,) = [cell for cell in pages["cells"] if cell["metadata"].get("tags") == ["parameters"]]
    assert "TEMPERATURES = [0.2, 0.7, 1.0, 1.5]" in parameters["source"]
    markdown = "\n".join(cell["source"] for cell in pages["cells"] if cell["cell_type"] == "markdown")
    for heading in ("Tokens", "The network", "The trained weights", "What the model expects next",
                    "Text at four temperatures", "Keep training", "The loss"):
        assert f"· {heading}" in markdown


def _loaded(folder):
    from playground.runs import bundle

    return bundle.load(folder), folder.name


def test_a_run_without_its_weights_or_tokenizer_is_refused_with_a_sentence(tmp_path):
    tiny_run(tmp_path / "run", "gru", {"units": 8, "layers": 1, "embedding_dim": 4}, "char")
    (tmp_path / "run" / "model.keras").unlink()
    with pytest.raises(PlaygroundError, match=r"^run cannot become a notebook: model\.keras \(its weights\) is "
                                              r"missing from its folder\.$"):
        notebook.write(tmp_path / "run", tmp_path / "run-notebook.zip")
    (tmp_path / "run" / "tokenizer.json").unlink()
    with pytest.raises(PlaygroundError, match=r"model\.keras \(its weights\) and tokenizer\.json \(its tokenizer\) "
                                              r"are missing"):
        notebook.write(tmp_path / "run", tmp_path / "run-notebook.zip")
    assert not (tmp_path / "run-notebook.zip").exists()


def test_a_run_saved_without_its_corpus_still_exports_and_says_where_the_text_goes(tmp_path):
    tiny_run(tmp_path / "run", "lstm", {"units": 8, "layers": 1, "embedding_dim": 4}, "char")
    (tmp_path / "run" / "corpus.txt.gz").unlink()
    archive = notebook.write(tmp_path / "run", tmp_path / "run-notebook.zip")
    assert "run/corpus.txt" not in unpacked(archive, tmp_path / "home")
    pages = json.loads((tmp_path / "home" / "run" / "run.ipynb").read_text("utf-8"))
    assert "saved without its text" in pages["cells"][0]["source"]


def test_a_shipped_model_makes_a_first_notebook(tmp_path):
    catalog = Catalog()
    if "gan" not in catalog.names():
        pytest.skip("the shipped models are not installed")
    archive = catalog.export_notebook("pretrained/gan")
    names = unpacked(archive, tmp_path)
    assert names == ["gan/corpus.txt", "gan/gan.ipynb", "gan/tokenizer.json", "gan/weights.npz"]
    pages = json.loads((tmp_path / "gan" / "gan.ipynb").read_text("utf-8"))
    assert pages["cells"][0]["source"].startswith("# pretrained/gan: Text GAN")
    assert "generator only" in pages["cells"][0]["source"]
    # Packed where downloads are packed (the page hands it over as a one-time copy).
    assert archive == run_store.exports_dir() / "shipped" / "gan-notebook.zip"


def test_someone_elses_run_is_not_theirs_to_take_home(tmp_path):
    from playground.runs.owners import Viewer

    tiny_run(run_store.runs_dir() / "alices", "lstm", {"units": 8, "layers": 1, "embedding_dim": 4}, "char")
    run_store.publish("alices", True)
    with pytest.raises(PlaygroundError, match="only its owner or a teacher"):
        Catalog().export_notebook("alices", Viewer.logged_in("bob"))
    first = Catalog().export_notebook("alices")
    again = Catalog().export_notebook("alices")
    # One download per run at a time: the next replaces it, and deleting the run takes it away.
    assert first == again == run_store.exports_dir() / "alices-notebook.zip" and again.exists()
    run_store.delete("alices", "alices")
    assert not again.exists()


def test_the_command_line_exports_a_notebook_of_a_run_or_a_shipped_model(tmp_path, capsys):
    from playground import cli

    if "lstm" not in Catalog().names():
        pytest.skip("the shipped models are not installed")
    assert cli.main(["export", "--run", "pretrained/lstm", "--notebook", "--out", str(tmp_path), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert printed == {"notebook": str(tmp_path / "lstm-notebook.zip")}
    assert "lstm/lstm.ipynb" in unpacked(tmp_path / "lstm-notebook.zip", tmp_path / "home")
    assert cli.main(["export", "--run", "nobody", "--notebook", "--out", str(tmp_path)]) == 2
    assert capsys.readouterr().err.strip() == "error: There is no saved run called 'nobody'."


@pytest.mark.presses("/export_notebook", "#export-notebook")
def test_export_notebook_through_the_api_gives_the_owner_a_zip(tmp_path):
    from pathlib import Path

    from gradio_client import Client
    from gradio_client.exceptions import AppError

    from conftest import TINY_MODEL, running_app, train_kwargs

    home = tmp_path / "home"
    with running_app(PLAYGROUND_HOME=home,
                     PLAYGROUND_PRETRAINED=Path(__file__).resolve().parent.parent / "pretrained") as (url, _):
        alice, bob = Client(url, verbose=False), Client(url, verbose=False)
        alice.predict("builtin", [], "", "markov-babble", "char", 0.1, 10_000, api_name="/load_corpus")
        status, *_ = alice.predict(**train_kwargs(TINY_MODEL, 0.05, 0, 16, 32, 0.01, "adam", 0), keep_best=True,
                                   api_name="/train")
        assert "Kept the weights of the best evaluation, at step" in status
        runs = alice.predict(api_name="/list_runs")
        mine = runs["data"][0][0]
        assert runs["data"][0][runs["headers"].index("weights kept")].startswith("best (step ")
        downloaded = alice.predict(mine, api_name="/export_notebook")
        assert unpacked(downloaded, tmp_path / "alice") == [f"{mine}/corpus.txt", f"{mine}/{mine}.ipynb",
                                                             f"{mine}/tokenizer.json", f"{mine}/weights.npz"]
        pages = nbformat.read(tmp_path / "alice" / mine / f"{mine}.ipynb", as_version=4)
        nbformat.validate(pages)
        assert pages.cells[0].source.startswith(f"# {mine}: LSTM")
        # The workspace keeps one copy per run (never served: tests/test_private_runs.py tries it)...
        assert Path(downloaded).name == f"{mine}-notebook.zip"
        assert (home / "exports" / f"{mine}-notebook.zip").is_file()
        # ...and only its owner may have it; a shipped model is everyone's.
        with pytest.raises(AppError, match=f"There is no saved run called '{mine}'"):
            bob.predict(mine, api_name="/export_notebook")
        shipped = bob.predict("pretrained/gru", api_name="/export_notebook")
        assert "gru/gru.ipynb" in unpacked(shipped, tmp_path / "bob")


def test_an_untied_transformer_rebuilds_with_its_own_output_layer(tmp_path, monkeypatch, small_text):
    """The network and weights cells run here, in this process: the same logits as the playground's model."""
    from playground.runs import bundle
    from playground.text import tokenizers
    from playground.training.history import History

    tokenizer = tokenizers.CharTokenizer.fit(small_text)
    spec = architecture("transformer")
    model = spec.build(spec.default_config(len(tokenizer), layers=1, embedding_dim=16, heads=4, context=16,
                                           tied_head=False))
    bundle.save(tmp_path / "untied", model, tokenizer, {"corpus": "test"}, History())
    unpacked(notebook.write(tmp_path / "untied", tmp_path / "untied.zip"), tmp_path / "home")
    pages = json.loads((tmp_path / "home" / "untied" / "untied.ipynb").read_text("utf-8"))
    network, weights = (next(cell["source"] for cell in pages["cells"] if marker in cell["source"])
                        for marker in ("keras.Model(ids, logits", "np.load(\"weights.npz\")"))
    assert 'keras.layers.Dense(VOCABULARY, use_bias=False, name="logits")' in network
    monkeypatch.chdir(tmp_path / "home" / "untied")
    space = {"np": np}
    exec(network + "\n" + weights, space)
    ids = tokenizer.encode(small_text[:16])[None, :]
    np.testing.assert_allclose(space["model"](ids).numpy(), model(ids).numpy(), atol=1e-5)
