"""The mirrored strategy runs for real on two logical CPU devices (in a fresh interpreter:
logical devices must be configured before TensorFlow starts)."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from playground.training.distribute import make_strategy, use_mixed_precision
from playground.errors import PlaygroundError

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = textwrap.dedent("""
    import json, sys
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    sys.path.insert(0, "tests")
    from conftest import make_text, unigram_entropy
    from playground.text import corpus
    from playground.runs.training_run import TrainingRun
    from playground.training.config import TrainConfig
    text = make_text(30_000)
    run = TrainingRun(corpus.from_text(text), "gru", {"units": 32, "layers": 1, "embedding_dim": 16},
                      TrainConfig(epochs=1, batch_size=8, window=32, learning_rate=0.01, strategy="mirrored"),
                      run_dir=sys.argv[1])
    result = run.execute()
    print(json.dumps({"replicas": run.strategy.num_replicas_in_sync, "val_loss": result.val_loss,
                      "vocab": len(run.tokenizer), "first": run.trainer.history.rows[0]["train_loss"],
                      "unigram_entropy": unigram_entropy(text)}))
""")


def test_mirrored_training_on_two_logical_cpus(tmp_path):
    result = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / "run")], capture_output=True, text=True,
                            cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["replicas"] == 2
    import math
    assert summary["first"] == pytest.approx(math.log(summary["vocab"]), abs=0.3)
    # It learned across both replicas, more than how often each letter occurs.
    assert summary["val_loss"] < summary["unigram_entropy"] - 0.3, summary
    assert (tmp_path / "run" / "model.keras").is_file()


def test_default_strategy_and_precision_on_this_machine():
    assert make_strategy("default").num_replicas_in_sync == 1
    assert make_strategy("auto").num_replicas_in_sync == 1
    assert use_mixed_precision(None) is False  # no GPU here
    with pytest.raises(PlaygroundError, match="needs a GPU"):
        use_mixed_precision(True)
    with pytest.raises(PlaygroundError, match="Strategy must be one of"):
        make_strategy("quantum")
