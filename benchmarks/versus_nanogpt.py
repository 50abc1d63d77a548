"""Side by side with nanoGPT, in one run on one machine:
``python benchmarks/versus_nanogpt.py --corpus tinyshakespeare.txt --nanogpt DIR [--torch-python PY]``.

nanoGPT (https://github.com/karpathy/nanoGPT) is the reference its README sets for a CPU: the
"baby GPT" recipe (4 layers, 4 heads, 128 wide, 64 characters of context, batch 12, 2,000 steps,
``--device=cpu --compile=False``). This benchmark does not ship nanoGPT: give it a checkout (``DIR``)
and a Python that has PyTorch (``PY``; nanoGPT also imports numpy). It writes the corpus in
nanoGPT's format with the split our benchmark uses (the first 90 % of the characters train, the
last 10 % validate, as nanoGPT's own ``prepare.py`` does), runs nanoGPT's ``train.py`` with the
README's recipe in a scratch folder, and reads its log: the time to the target is the sum of its
own per-step times up to the first evaluation at or below the target, evaluations included (ours
counts its evaluations too). Then it trains our defaults with ``benchmarks/train.py`` and prints
each one's time as a share of nanoGPT's.

With ``ONEDNN_MAX_CPU_ISA=AVX2`` (the laptop stand-in) both sides are held to AVX2: PyTorch's own
kernels through ``ATEN_CPU_CAPABILITY`` and MKL's through ``MKL_ENABLE_INSTRUCTIONS``.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import describe, held_to_avx2
from train import benchmark

# nanoGPT's README, "I only have a macbook" (the CPU recipe), with the data set named ours.
README_RECIPE = ["--device=cpu", "--compile=False", "--eval_iters=20", "--log_interval=1", "--block_size=64",
                 "--batch_size=12", "--n_layer=4", "--n_head=4", "--n_embd=128", "--dropout=0.0"]
README_STEPS = 2000  # --max_iters and --lr_decay_iters
EVALUATED = re.compile(r"^step (\d+): train loss ([\d.]+), val loss ([\d.]+)")
STEPPED = re.compile(r"^iter (\d+): loss ([\d.]+), time ([\d.]+)ms")
NEEDED = ("train.py", "model.py", "configurator.py", "config/train_shakespeare_char.py")


def torch_environment() -> dict:
    """The environment nanoGPT runs in: with oneDNN held to AVX2, PyTorch and MKL are held too."""
    environment = dict(os.environ, PYTHONUNBUFFERED="1")
    if held_to_avx2():
        environment.update(ATEN_CPU_CAPABILITY="avx2", MKL_ENABLE_INSTRUCTIONS="AVX2")
    return environment


def torch_line(python: str) -> str:
    probe = ("import torch; print(f'PyTorch {torch.__version__}, kernels for '"
             "f'{torch.backends.cpu.get_cpu_capability()}, {torch.get_num_threads()} threads')")
    done = subprocess.run([python, "-c", probe], env=torch_environment(), capture_output=True, text=True)
    if done.returncode:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        sys.exit(f"{python} cannot import torch: {last}")
    return done.stdout.strip()


def write_dataset(corpus: Path, folder: Path) -> int:
    """The corpus as nanoGPT's character data set: uint16 ids, 90 % train, 10 % val, and meta.pkl."""
    import numpy as np

    text = corpus.read_text(encoding="utf-8")
    characters = sorted(set(text))
    index = {character: i for i, character in enumerate(characters)}
    ids = np.array([index[character] for character in text], dtype=np.uint16)
    cut = int(len(ids) * 0.9)
    folder.mkdir(parents=True)
    ids[:cut].tofile(folder / "train.bin")
    ids[cut:].tofile(folder / "val.bin")
    meta = {"vocab_size": len(characters), "itos": dict(enumerate(characters)), "stoi": index}
    (folder / "meta.pkl").write_bytes(pickle.dumps(meta))
    return len(characters)


def run_nanogpt(checkout: Path, python: str, corpus: Path, target: float, eval_every: int, steps: int) -> dict:
    """nanoGPT's run and what its log says: seconds to the target (None if not reached), the step,
    the last validation loss and the seconds of all its steps (a lower bound when not reached)."""
    missing = [name for name in NEEDED if not (checkout / name).exists()]
    if missing:
        sys.exit(f"{checkout} is not a nanoGPT checkout: it has no {', '.join(missing)}")
    scratch = Path(tempfile.mkdtemp(prefix="versus-nanogpt-"))
    try:
        for name in NEEDED:  # train.py reads configurator.py and data/ from the folder it runs in
            (scratch / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(checkout / name, scratch / name)
        write_dataset(corpus, scratch / "data" / "shakespeare_char")
        command = [python, "train.py", "config/train_shakespeare_char.py", *README_RECIPE,
                   f"--max_iters={steps}", f"--lr_decay_iters={steps}",
                   f"--eval_interval={eval_every}", f"--out_dir={scratch / 'out'}"]
        print("nanoGPT:", " ".join(command[1:]), flush=True)
        evaluations, step_ms = [], {}
        started = time.perf_counter()
        with subprocess.Popen(command, cwd=scratch, env=torch_environment(), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True) as process:
            for line in process.stdout:
                if found := STEPPED.match(line):
                    step_ms[int(found[1])] = float(found[3])
                elif found := EVALUATED.match(line):
                    # the evaluation at step N is timed inside step N's time, which ends after it
                    evaluations.append((int(found[1]), float(found[3])))
                    print(f"  step {found[1]:>5}  validation {found[3]}", flush=True)
        if process.returncode:
            sys.exit(f"nanoGPT failed (exit {process.returncode}); its log is above")
        elapsed = time.perf_counter() - started
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    reached = next(((step, loss) for step, loss in evaluations if loss <= target), None)
    seconds = sum(ms for step, ms in step_ms.items() if step <= reached[0]) / 1000 if reached else None
    all_seconds = sum(step_ms.values()) / 1000
    return {"seconds_to_target": round(seconds, 1) if seconds else None, "step": reached and reached[0],
            "final_val_loss": evaluations[-1][1] if evaluations else None,
            "all_steps_seconds": round(all_seconds, 1),
            "tokens_per_second": round(len(step_ms) * 12 * 64 / all_seconds) if step_ms else None,
            "wall_seconds": round(elapsed, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", required=True, type=Path)
    parser.add_argument("--nanogpt", required=True, type=Path, help="a checkout of karpathy/nanoGPT")
    parser.add_argument("--torch-python", default=sys.executable, help="a Python with PyTorch and numpy")
    parser.add_argument("--arch", nargs="*", default=["transformer", "lstm", "gru"])
    parser.add_argument("--target", type=float, default=1.90, help="validation loss in nats/char")
    parser.add_argument("--minutes", type=float, default=3.0, help="time cap for each of ours")
    parser.add_argument("--eval-every", type=int, default=100,
                        help="nanoGPT's steps between evaluations (its config says 250: too coarse to time 1.90)")
    parser.add_argument("--steps", type=int, default=README_STEPS,
                        help="nanoGPT's steps, and the length of its learning-rate decay (the README's: 2,000)")
    parser.add_argument("--out", default="/tmp/playground-benchmark")
    args = parser.parse_args()
    print(describe(), flush=True)
    print(torch_line(args.torch_python), flush=True)
    reference = run_nanogpt(args.nanogpt, args.torch_python, args.corpus, args.target, args.eval_every, args.steps)
    if reference["seconds_to_target"] is None:
        # Its whole run is then a lower bound on its time to the target: ours is compared with that.
        print(f"nanoGPT: target {args.target} not reached in {args.steps} steps ({reference['all_steps_seconds']} s); "
              f"shares below are of those {reference['all_steps_seconds']} s, a lower bound", flush=True)
    else:
        print(f"nanoGPT: target {args.target} reached in {reference['seconds_to_target']} s "
              f"(step {reference['step']})", flush=True)
    print(f"nanoGPT: {reference['tokens_per_second']:,} tokens/s, final validation {reference['final_val_loss']}",
          flush=True)
    print(json.dumps({"arch": "nanogpt", **reference}), flush=True)
    rows = []
    for arch in args.arch:
        print(f"{arch}: training until validation <= {args.target} (cap {args.minutes} min)", flush=True)
        result = benchmark(str(args.corpus), arch, args.target, args.minutes, Path(args.out))
        print(json.dumps(result), flush=True)
        rows.append(result)
    print(f"\n{'':12} {'to ' + str(args.target):>10} {'share':>7} {'tokens/s':>9}")
    base = reference["seconds_to_target"] or reference["all_steps_seconds"]
    bound = "" if reference["seconds_to_target"] else ">"
    print(f"{'nanoGPT':12} {bound + str(base):>9} s {'1.00':>7} {reference['tokens_per_second']:>9,}")
    for row in rows:
        seconds = row["seconds_to_target"]
        share = f"{'<' if bound else ''}{seconds / base:.2f}" if seconds and base else "-"
        print(f"{row['arch']:12} {seconds or '-':>9} s {share:>7} {row['tokens_per_second']:>9,}")


if __name__ == "__main__":
    main()
