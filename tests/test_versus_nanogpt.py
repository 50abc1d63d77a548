"""The nanoGPT side-by-side benchmark reads nanoGPT's log as nanoGPT writes it.

nanoGPT is not installed here: a stand-in ``train.py`` prints the lines nanoGPT's training loop
prints (an evaluation every few steps, then each step's time), so the parsing, the timing sum and
the data set it is handed are checked exactly.
"""

import pickle
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import versus_nanogpt

# What nanoGPT's train.py prints, step by step: the evaluation at step N comes before step N's time.
STAND_IN = '''
import pickle, sys
meta = pickle.load(open("data/shakespeare_char/meta.pkl", "rb"))
print(f"found vocab_size = {meta['vocab_size']} (inside data/shakespeare_char/meta.pkl)")
print("args:", " ".join(sys.argv[1:]))
losses = {0: 4.17, 2: 2.50, 4: 1.89, 6: 1.85}
for step in range(7):
    if step in losses:
        print(f"step {step}: train loss {losses[step] + 0.01:.4f}, val loss {losses[step]:.4f}")
    print(f"iter {step}: loss 2.0000, time {100 * (step + 1):.2f}ms, mfu -100.00%")
'''


def fake_checkout(folder: Path) -> Path:
    for name in versus_nanogpt.NEEDED:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text("")
    (folder / "train.py").write_text(STAND_IN)
    return folder


def test_the_corpus_becomes_nanogpts_character_data_set_with_our_split(tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("abcabcabcd" * 10, encoding="utf-8")  # 100 characters, 4 kinds
    assert versus_nanogpt.write_dataset(corpus, tmp_path / "data") == 4
    train = np.fromfile(tmp_path / "data" / "train.bin", dtype=np.uint16)
    val = np.fromfile(tmp_path / "data" / "val.bin", dtype=np.uint16)
    meta = pickle.loads((tmp_path / "data" / "meta.pkl").read_bytes())
    assert (len(train), len(val)) == (90, 10)
    assert meta["vocab_size"] == 4 and meta["itos"] == {0: "a", 1: "b", 2: "c", 3: "d"}
    assert "".join(meta["itos"][int(i)] for i in [*train, *val]) == "abcabcabcd" * 10


def test_the_time_to_target_is_nanogpts_own_step_times_up_to_the_first_evaluation_below_it(tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("to be or not to be " * 20, encoding="utf-8")
    result = versus_nanogpt.run_nanogpt(fake_checkout(tmp_path / "nanoGPT"), sys.executable, corpus,
                                        target=1.90, eval_every=2, steps=7)
    # step 4 is the first evaluation at or below 1.90; steps 0..4 took 100 + 200 + ... + 500 ms
    assert result["step"] == 4 and result["seconds_to_target"] == 1.5
    assert result["all_steps_seconds"] == 2.8 and result["final_val_loss"] == 1.85
    assert result["tokens_per_second"] == round(7 * 12 * 64 / 2.8)


def test_a_target_never_reached_leaves_the_whole_run_as_a_lower_bound(tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("to be or not to be " * 20, encoding="utf-8")
    result = versus_nanogpt.run_nanogpt(fake_checkout(tmp_path / "nanoGPT"), sys.executable, corpus,
                                        target=1.0, eval_every=2, steps=7)
    assert result["seconds_to_target"] is None and result["step"] is None
    assert result["all_steps_seconds"] == 2.8


def test_a_folder_that_is_not_a_nanogpt_checkout_is_named(tmp_path):
    with pytest.raises(SystemExit, match=r"is not a nanoGPT checkout: it has no train\.py, model\.py"):
        versus_nanogpt.run_nanogpt(tmp_path, sys.executable, tmp_path / "corpus.txt", 1.9, 100, 2000)
