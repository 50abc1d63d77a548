"""The command-line contract: JSON on the last stdout line, exit 2 with one 'error:' line."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import unigram_entropy
from playground import cli

ROOT = Path(__file__).resolve().parent.parent
TINY = ["--units", "32", "--layers", "1", "--embedding", "16", "--batch-size", "16", "--window", "32"]


def run_cli(*args, timeout=300):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    return subprocess.run([sys.executable, "-m", "playground", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT, env=env)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    from conftest import make_text

    folder = tmp_path_factory.mktemp("cli")
    corpus = folder / "corpus.txt"
    corpus.write_text(make_text(), encoding="utf-8")
    result = run_cli("train", "--corpus", corpus, "--arch", "gru", "--out", folder / "run", "--epochs", "2",
                     "--seed", "3", "--json", *TINY)
    assert result.returncode == 0, result.stderr[-3000:]
    return folder, corpus, json.loads(result.stdout.strip().splitlines()[-1])


def test_train_writes_a_bundle_and_reports_json(trained):
    folder, corpus, summary = trained
    assert {"run_dir", "arch", "params", "seconds", "val_loss", "bits_per_token"} <= set(summary)
    assert summary["arch"] == "gru" and summary["run_dir"] == str(folder / "run")
    # Two epochs teach the GRU more than how often each letter occurs (~1.8 nats against 2.83 here).
    text = corpus.read_text()
    assert summary["val_loss"] < unigram_entropy(text) - 0.3, (summary["val_loss"], unigram_entropy(text))
    assert {p.name for p in (folder / "run").iterdir()} >= {"model.keras", "tokenizer.json", "config.json",
                                                            "history.csv"}
    # Counting baselines on the run's own split, in order; one bits-per-character scale (= bits/token for chars).
    counted = summary["baselines"]
    assert counted["uniform"] > counted["unigram"] > counted["bigram"] > counted["ngram"] > 0
    assert summary["bits_per_character"] == pytest.approx(summary["val_loss"] / 0.6931471805599453)
    saved = json.loads((folder / "run" / "config.json").read_text())["result"]
    assert saved["baselines"] == counted and saved["bits_per_character"] == summary["bits_per_character"]


def test_generate_json_is_reproducible(trained):
    folder, _, _ = trained
    args = ["generate", "--model", folder / "run", "--prompt", "The cat", "--length", "40",
            "--temperatures", "0.2,1.0", "--seed", "5", "--json"]
    first, second = run_cli(*args), run_cli(*args)
    assert first.returncode == 0, first.stderr[-2000:]
    samples = json.loads(first.stdout.strip().splitlines()[-1])["samples"]
    assert [s["temperature"] for s in samples] == [0.2, 1.0]
    assert all(len(s["text"]) == 40 and not s["text"].startswith("The cat") for s in samples)
    metrics = samples[0]["metrics"]
    assert set(metrics) == {"distinct_1", "distinct_2", "distinct_3", "repetition_rate", "copied_share",
                            "longest_copied", "mean_logprob"}
    assert 0 <= metrics["copied_share"] <= 1 and metrics["mean_logprob"] < 0
    assert first.stdout == second.stdout


def test_evaluate_reports_the_loss_of_a_file(trained, capsys):
    folder, corpus, _ = trained
    assert cli.main(["evaluate", "--model", str(folder / "run"), "--corpus", str(corpus), "--json"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["tokens"] == len(corpus.read_text()) - 1
    assert result["bits_per_token"] == pytest.approx(result["val_loss"] / 0.6931471805599453)
    assert result["bits_per_character"] == pytest.approx(result["bits_per_token"])
    # Counted on the model's own training text, scored on the file.
    assert result["baselines"]["uniform"] > result["baselines"]["unigram"] > result["baselines"]["bigram"] \
        > result["baselines"]["ngram"]


def test_bad_input_exits_2_with_one_line_and_no_traceback(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    result = run_cli("train", "--corpus", empty, "--arch", "lstm")
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert lines == ["error: empty.txt is empty (or only whitespace)."]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("args, message", [
    (["train", "--builtin", "python-docs", "--arch", "transformerz"], "Unknown architecture"),
    (["train", "--builtin", "python-docs", "--lr", "-1"], "Learning rate"),
    (["train", "--builtin", "python-docs", "--units", "0"], "Units per layer"),
    (["train", "--builtin", "nope"], "Unknown built-in corpus"),
    (["train", "--corpus", "/no/such/file.txt"], "does not exist"),
    (["generate", "--model", "/no/such/dir"], "not a model directory"),
    (["generate", "--model", "."], "not a complete model bundle"),
    (["frobnicate"], "invalid choice"),
])
def test_bad_arguments(args, message, capsys):
    assert cli.main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and message in err[0]


def test_bad_sampling_arguments(trained, capsys):
    folder, _, _ = trained
    for extra, message in ((["--temperatures", "-1"], "Temperature must be"), (["--top-p", "0"], "top-p"),
                           (["--length", "0"], "Length must be")):
        assert cli.main(["generate", "--model", str(folder / "run"), *extra]) == 2
        assert message in capsys.readouterr().err
