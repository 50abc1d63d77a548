"""A classroom on one server: ``python benchmarks/load.py [--users 10] [--seconds 60]``.

Starts the app (with the shipped pretrained model) in a separate process on 127.0.0.1, then
runs USERS ``gradio_client`` users that each ask for the temperature grid (6 temperatures x
200 characters) again and again for SECONDS, while one more session trains a model. Prints
p50/p95/max latency of the grid and the number of errors. Target on 2 cores: 10 users,
p95 <= 2 s, no errors.
"""

import argparse
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, home: str) -> subprocess.Popen:
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "TF_CPP_MIN_LOG_LEVEL": "2", "PLAYGROUND_HOME": home}
    process = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--port", str(port)], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 180
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process
        except OSError:
            time.sleep(0.5)
    process.kill()
    raise SystemExit("the app did not start within 3 minutes")


def user(url: str, until: float, latencies: list, errors: list, seed: int) -> None:
    from gradio_client import Client

    client = Client(url, verbose=False)
    while time.time() < until:
        started = time.perf_counter()
        try:
            client.predict("ROMEO:", 200, "0.2, 0.5, 0.7, 1.0, 1.2, 1.5", seed, 0, 1.0, 0.0,
                           api_name="/compare_temperatures")
            latencies.append(time.perf_counter() - started)
        except Exception as error:  # counted, not raised: the benchmark reports them
            errors.append(repr(error)[:200])
        seed += 1


def trainer(url: str, until: float, errors: list) -> None:
    from gradio_client import Client

    client = Client(url, verbose=False)
    try:
        client.predict(source="builtin", files=[], text="", builtin_name="python-docs", api_name="/load_corpus")
        job = client.submit(arch="lstm", epochs=0, minutes=max((until - time.time()) / 60, 0.2), api_name="/train")
        job.result()
    except Exception as error:
        errors.append("training: " + repr(error)[:200])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    import tempfile

    port = free_port()
    server = start_server(port, tempfile.mkdtemp(prefix="playground-load-"))
    url = f"http://127.0.0.1:{port}/"
    try:
        from gradio_client import Client

        Client(url, verbose=False).predict("warm up", 20, "1.0", 0, 0, 1.0, 0.0, api_name="/compare_temperatures")
        latencies, errors = [], []
        until = time.time() + args.seconds
        threads = [threading.Thread(target=trainer, args=(url, until, errors))]
        threads += [threading.Thread(target=user, args=(url, until, latencies, errors, i * 1000))
                    for i in range(args.users)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        server.terminate()
        server.wait(30)
    latencies.sort()
    if not latencies:
        raise SystemExit(f"no request succeeded; errors: {errors[:3]}")
    p95 = latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))]
    print(f"{args.users} users x {args.seconds:g} s, one session training, {os.cpu_count()} cores")
    print(f"grid requests: {len(latencies)}, errors: {len(errors)}")
    print(f"latency p50 {statistics.median(latencies):.2f} s, p95 {p95:.2f} s, max {latencies[-1]:.2f} s")
    for error in errors[:5]:
        print("  error:", error)


if __name__ == "__main__":
    main()
