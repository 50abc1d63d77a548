"""Start the Text Generation Playground: ``python app.py [--host H] [--port P] [--ray ADDRESS] [--verbose]``.

Quiet by default: the address and one line of status. TensorFlow's C++ libraries write their
start-up notes (oneDNN, absl, CPU features) straight to the process's standard error, before
Python's logging exists and whatever ``TF_CPP_MIN_LOG_LEVEL`` says, so the quiet mode points
that stream at a log file in the workspace; ``--verbose`` leaves it on the terminal and logs
the playground's own messages too.
"""

import argparse
import logging
import os
import sys
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def log_file() -> Path:
    # The same place as playground.paths.workspace(), without importing the playground (and TensorFlow) yet.
    return Path(os.environ.get("PLAYGROUND_HOME") or Path.home() / ".text-playground") / "app.log"


def send_stderr_to(path: Path) -> int:
    """Point file descriptor 2 (C++ libraries and Python alike) at ``path``; return the terminal's copy."""
    path.parent.mkdir(parents=True, exist_ok=True)
    terminal = os.dup(2)
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(handle, 2)
    os.close(handle)
    return terminal


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default=os.environ.get("PLAYGROUND_HOST", "127.0.0.1"),
                        help="address to listen on (default 127.0.0.1; 0.0.0.0 opens it to the network)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PLAYGROUND_PORT", "7860")))
    parser.add_argument("--ray", metavar="ADDRESS", default=os.environ.get("PLAYGROUND_RAY_ADDRESS", ""),
                        help="train on a Ray cluster: auto (this computer is its head) or the head's HOST:PORT; "
                             "PLAYGROUND_RAY_CPUS sets the CPUs per training (default 2)")
    parser.add_argument("--verbose", action="store_true",
                        help="show TensorFlow's and Gradio's messages and the playground's log here, "
                             f"instead of in {log_file()}")
    args = parser.parse_args()

    if args.ray:
        os.environ["PLAYGROUND_RAY_ADDRESS"] = args.ray
    terminal = None if args.verbose else send_stderr_to(log_file())
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        from playground.ui.app import create_app, launch_options

        demo, context = create_app()
        demo.queue(default_concurrency_limit=4).launch(
            server_name=args.host, server_port=args.port, share=False, quiet=not args.verbose,
            prevent_thread_lock=True, **launch_options())
    except BaseException:
        if terminal is not None:  # a failed start is shown where it was started, not only in the log
            os.dup2(terminal, 2)
        raise
    shipped = context.catalog.names()
    models = (f"{len(shipped)} pretrained models ({', '.join(shipped)}), ready to generate" if shipped
              else "no pretrained models: start on the Corpus tab")
    where = "" if args.verbose else f"; log in {log_file()} (--verbose shows it here)"
    print(f"Text Generation Playground: {demo.local_url}", flush=True)
    print(f"{models}{where}. Ctrl+C stops it.", flush=True)
    if context.store.cluster is not None:
        print(context.store.cluster.describe(), flush=True)
    try:
        demo.block_thread()
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
