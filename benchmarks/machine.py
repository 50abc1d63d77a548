"""The machine behind a benchmark's figures, printed before them: figures from different CPUs differ
2–3× (TensorFlow's kernels on a CPU with AVX2 only against one with AVX-512), so every figure goes
with the CPU, its vector extensions, the instruction set oneDNN really uses, the threads and the load.

``ONEDNN_MAX_CPU_ISA=AVX2`` holds oneDNN (TensorFlow's CPU kernels for matrix products and
convolutions) to AVX2 on a machine with AVX-512, standing in for a laptop; the line says whether it
took effect, as oneDNN itself reports it (``ONEDNN_VERBOSE``), in a separate process. XLA (the
compiled sampling step) does not use oneDNN: importing this module holds it to AVX2 too
(``XLA_FLAGS=--xla_cpu_max_isa=AVX2``), which works as long as nothing was compiled with XLA before.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

EXTENSIONS = ("avx512f", "avx512_bf16", "amx_tile", "avx2", "fma", "avx")
PROBE = "import tensorflow as tf; a = tf.ones([64, 64]); tf.matmul(a, a).numpy()"


def held_to_avx2() -> bool:
    """Whether this run stands in for a laptop: oneDNN held to AVX2 (``ONEDNN_MAX_CPU_ISA=AVX2``)."""
    return os.environ.get("ONEDNN_MAX_CPU_ISA", "").upper() == "AVX2"


def hold_xla_with_onednn() -> None:
    """With oneDNN held to AVX2, hold XLA's code to AVX2 as well (unless XLA_FLAGS already says)."""
    flags = os.environ.get("XLA_FLAGS", "")
    if held_to_avx2() and "xla_cpu_max_isa" not in flags:
        os.environ["XLA_FLAGS"] = f"{flags} --xla_cpu_max_isa=AVX2".strip()


hold_xla_with_onednn()


def cpu_flags() -> tuple[str, list[str]]:
    """The CPU's model name and its vector extensions (of :data:`EXTENSIONS`)."""
    info = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    name = next((line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("model name")),
                platform.processor() or "unknown CPU")
    flags = next((line.split(":", 1)[1].split() for line in info.splitlines() if line.startswith("flags")), [])
    return name, [flag for flag in EXTENSIONS if flag in flags]


def onednn_isa() -> str:
    """The instruction set oneDNN uses in a process started with this one's environment."""
    environment = {**os.environ, "ONEDNN_VERBOSE": "1", "TF_CPP_MIN_LOG_LEVEL": "3"}
    try:
        probe = subprocess.run([sys.executable, "-c", PROBE], env=environment, capture_output=True, text=True,
                               timeout=120)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"unknown ({error})"
    for line in (probe.stdout + probe.stderr).splitlines():
        if ",isa:" in line:
            return line.split(",isa:", 1)[1].strip()
    return "unknown (oneDNN said nothing: TF_ENABLE_ONEDNN_OPTS=0?)"


def describe() -> str:
    """One paragraph: the CPU, its extensions, what oneDNN uses, the cores, the threads and the load."""
    name, extensions = cpu_flags()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    cap = os.environ.get("ONEDNN_MAX_CPU_ISA")
    xla = next((flag.split("=", 1)[1] for flag in os.environ.get("XLA_FLAGS", "").split()
                if flag.startswith("--xla_cpu_max_isa=")), None)
    threads = os.environ.get("TF_NUM_INTRAOP_THREADS", "the playground's choice")
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg()) if hasattr(os, "getloadavg") else "unknown"
    return (f"machine: {name}; {cores} cores for this process; vector extensions: {' '.join(extensions) or 'none'} "
            f"(avx512f {'present' if 'avx512f' in extensions else 'absent'}); oneDNN uses {onednn_isa()}"
            f"{f' (ONEDNN_MAX_CPU_ISA={cap})' if cap else ''}; XLA uses {xla or 'what the CPU has'}; "
            f"threads per operation: {threads}; "
            f"load average at start {load}")


if __name__ == "__main__":
    print(describe())
