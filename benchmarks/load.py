"""A class on one server: ``python benchmarks/load.py [--students 30] [--seconds 300]``.

Starts the app (with the shipped pretrained models) in its own process on 127.0.0.1 and first
sends it two requests a careless or hostile student could send: a 9,800-character prompt measured
at 8 temperatures × 64 samples, and a small bundle whose model claims a 1,000,000-token vocabulary.
It prints the server's memory before and after each.

Then STUDENTS ``gradio_client`` students work for SECONDS, each its own session, each in a loop
of what a student does: load a built-in corpus, ask for the temperature grid, move the next-token
temperature slider four times, list their runs, look at the class view, then read for 10–30 s.
Some of them press Train (two train at once, the rest wait in the queue, as the server allows) and
publish the run when it ends. Everyone logs in; the teacher has opened the class view to the class
(``PLAYGROUND_CLASS_VIEW=open``) and keeps it on the projector, which asks for it every two seconds
as the open tab does (with the names as initials: every training live, the queue and the leaderboard).
Prints the grid's p50/p95/max latency, the next-token latency, the class view's latency, errors,
runs trained and the server's peak memory.

Target on 2 cores: 30 students, no errors, grid p95 <= 2 s.
"""

import argparse
import io
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path
from machine import describe

ROOT = Path(__file__).resolve().parent.parent
# Seconds a student spends reading a grid and the bars before the next round: a busy class.
THINK_SECONDS = (10, 30)
PROMPTS = ("ROMEO:", "The ", "First Citizen:\n", "KING HENRY", "What is", "\n")
TEACHER = "teacher"
PROJECTOR_SECONDS = 2  # how often an open Class view asks for news


def users(students: int) -> dict[str, str]:
    """Login name -> password for the teacher and every student."""
    return {TEACHER: "teach-pass", **{f"student{i:02d}": f"pass-{i:02d}" for i in range(students)}}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, home: str, logins: dict[str, str]) -> subprocess.Popen:
    # Two runs train at once, as a teacher would allow for a class on this machine.
    env = {"PLAYGROUND_MAX_TRAININGS": "2", **os.environ, "GRADIO_ANALYTICS_ENABLED": "False",
           "TF_CPP_MIN_LOG_LEVEL": "2", "PLAYGROUND_HOME": home,
           "PLAYGROUND_AUTH": ",".join(f"{name}:{word}" for name, word in logins.items()),
           "PLAYGROUND_TEACHERS": TEACHER, "PLAYGROUND_CLASS_VIEW": "open"}
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


def memory_mb(pid: int, field: str = "VmRSS") -> float:
    """The process's resident memory now (VmRSS) or at its peak (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def vocabulary_bomb(folder: Path) -> str:
    """A shipped model's bundle whose config and model file both claim a 1,000,000-token vocabulary."""
    source = ROOT / "pretrained" / "lstm"
    info = json.loads((source / "config.json").read_text())
    info["model"]["vocab_size"] = 1_000_000
    inner, out = zipfile.ZipFile(source / "model.keras"), io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for member in inner.namelist():
            data = inner.read(member)
            if member == "config.json":
                stored = json.loads(data)
                stored["config"]["config"]["vocab_size"] = 1_000_000
                data = json.dumps(stored).encode()
            target.writestr(member, data)
    path = folder / "bomb.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("config.json", json.dumps(info))
        bundle.writestr("tokenizer.json", (source / "tokenizer.json").read_text())
        bundle.writestr("model.keras", out.getvalue())
    return str(path)


def hostile_requests(client, pid: int, folder: Path) -> None:
    from gradio_client import handle_file

    before = memory_mb(pid)
    started = time.perf_counter()
    client.predict("ROMEO: " * 1400, 50, "0.2, 0.4, 0.6, 0.8, 1.0, 1.2, 1.4, 1.5", 0, 64, 0, 1.0, 0.0,
                   api_name="/measure_temperatures")
    after = memory_mb(pid)
    print(f"9,800-character prompt, 8 temperatures × 64 samples: {time.perf_counter() - started:.1f} s, "
          f"server {before:,.0f} → {after:,.0f} MB")
    before = memory_mb(pid)
    try:
        client.predict(handle_file(vocabulary_bomb(folder)), "bomb", api_name="/import_run")
        outcome = "ACCEPTED (a defect)"
    except Exception as error:  # the refusal is the expected outcome
        outcome = "refused: " + str(error).strip("'")[:90]
    print(f"bundle claiming 1,000,000 tokens: {outcome}; server {before:,.0f} → {memory_mb(pid):,.0f} MB")


class Figures:
    def __init__(self):
        self.lock = threading.Lock()
        self.grid, self.next_token, self.class_view, self.errors, self.trained = [], [], [], [], 0
        self.most_live, self.most_ranked = 0, 0

    def add(self, kind: str, seconds: float) -> None:
        with self.lock:
            getattr(self, kind).append(seconds)

    def error(self, text: str) -> None:
        with self.lock:
            self.errors.append(text[:200])


def class_page(client, figures: Figures, teacher: bool = False) -> None:
    """What an open Class view asks for every two seconds: the page's own handler, data and charts, drawn
    afresh each time (a page skips the drawing when nothing changed); the teacher's with names as initials."""
    started = time.perf_counter()
    answer = client.predict(teacher, False, "", api_name="/class_page")  # hide names, large text, shown
    figures.add("class_view", time.perf_counter() - started)
    # An output the same as this client's last one comes back as an update without a value.
    caption, board = (value if isinstance(value, str) else "" for value in (answer[2], answer[4]))
    if teacher:
        with figures.lock:
            figures.most_live = max(figures.most_live, caption.count("<li>") if "step" in caption else 0)
            figures.most_ranked = max(figures.most_ranked, board.count("<tr class="))


def projector(url: str, until: float, figures: Figures, password: str) -> None:
    """The teacher's projector: the Class view with names as initials, asked for every two seconds."""
    from gradio_client import Client

    client = Client(url, auth=(TEACHER, password), verbose=False)
    while time.time() < until:
        try:
            class_page(client, figures, teacher=True)
        except Exception as error:
            figures.error(f"class view: {error!r}")
        time.sleep(PROJECTOR_SECONDS)


def student(url: str, until: float, figures: Figures, number: int, trains: bool, password: str) -> None:
    from gradio_client import Client

    rng = random.Random(number)
    time.sleep(rng.uniform(0, THINK_SECONDS[1]))  # students do not all arrive in the same second
    try:
        client = Client(url, auth=(f"student{number:02d}", password), verbose=False)
    except Exception as error:
        figures.error(f"connect: {error!r}")
        return
    training = None
    while time.time() < until:
        try:
            if rng.random() < 0.15:
                client.predict(source="builtin", files=[], text="",
                               builtin_name=rng.choice(["python-docs", "markov-babble"]), api_name="/load_corpus")
            started = time.perf_counter()
            client.predict(rng.choice(PROMPTS), 200, "0.2, 0.5, 0.7, 1.0, 1.2, 1.5", rng.randrange(10_000), 0, 1.0,
                           0.0, api_name="/compare_temperatures")
            figures.add("grid", time.perf_counter() - started)
            prompt = rng.choice(PROMPTS)
            for temperature in (0.3, 0.7, 1.1, 1.5):
                started = time.perf_counter()
                client.predict(prompt, temperature, 0, 1.0, 0.0, 20, api_name="/next_token_distribution")
                figures.add("next_token", time.perf_counter() - started)
            client.predict(api_name="/list_runs")
            class_page(client, figures)
            if trains and training is None and time.time() < until - 60:
                client.predict(source="builtin", files=[], text="", builtin_name="python-docs",
                               api_name="/load_corpus")
                # A small model for one minute: the server lets two train at once and queues the rest.
                training = client.submit(arch="lstm", units=128, layers=1, epochs=0, minutes=1, api_name="/train")
            if training is not None and training.done():
                training.result()
                with figures.lock:
                    figures.trained += 1
                training = None
                # Newest first, the class's published runs among them: this student's newest is the one just trained.
                runs = client.predict(api_name="/list_runs")
                owner = runs["headers"].index("owner")
                mine = next(row[0] for row in runs["data"] if row[owner] == f"student{number:02d}")
                client.predict(mine, api_name="/publish_run")
            time.sleep(rng.uniform(THINK_SECONDS[0], THINK_SECONDS[1]))  # reading what came back
        except Exception as error:  # counted, not raised: the benchmark reports them
            figures.error(repr(error))
    if training is not None:
        try:
            client.predict(api_name="/stop")
            training.result()
        except Exception as error:
            figures.error(f"training: {error!r}")


def percentile(values: list, share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--trainers", type=int, default=6, help="students who press Train (two train at once)")
    args = parser.parse_args()
    print(describe(), flush=True)

    folder = Path(tempfile.mkdtemp(prefix="playground-load-"))
    port = free_port()
    logins = users(args.students)
    server = start_server(port, str(folder / "home"), logins)
    url = f"http://127.0.0.1:{port}/"
    figures = Figures()
    try:
        from gradio_client import Client

        teacher = Client(url, auth=(TEACHER, logins[TEACHER]), verbose=False)
        teacher.predict("warm up", 20, "1.0", 0, 0, 1.0, 0.0, api_name="/compare_temperatures")
        print(f"server started: {memory_mb(server.pid):,.0f} MB")
        hostile_requests(teacher, server.pid, folder)
        until = time.time() + args.seconds
        threads = [threading.Thread(target=student, args=(url, until, figures, i, i < args.trainers,
                                                          logins[f"student{i:02d}"]))
                   for i in range(args.students)]
        threads.append(threading.Thread(target=projector, args=(url, until, figures, logins[TEACHER])))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        peak = memory_mb(server.pid, "VmHWM")
    finally:
        server.terminate()
        server.wait(30)
    if not figures.grid:
        raise SystemExit(f"no grid request succeeded; errors: {figures.errors[:3]}")
    print(f"{args.students} students × {args.seconds:g} s ({args.trainers} pressing Train), {os.cpu_count()} cores")
    print(f"grid: {len(figures.grid)} requests, p50 {statistics.median(figures.grid):.2f} s, "
          f"p95 {percentile(figures.grid, 0.95):.2f} s, max {max(figures.grid):.2f} s")
    print(f"next-token slider moves: {len(figures.next_token)}, p50 {statistics.median(figures.next_token):.2f} s, "
          f"p95 {percentile(figures.next_token, 0.95):.2f} s")
    if figures.class_view:
        print(f"class view (open; the projector every {PROJECTOR_SECONDS} s, each student once a round): "
              f"{len(figures.class_view)} looks, p50 {statistics.median(figures.class_view):.2f} s, "
              f"p95 {percentile(figures.class_view, 0.95):.2f} s; at most {figures.most_live} trainings live "
              f"and {figures.most_ranked} runs ranked on the projector")
    print(f"runs trained to the end: {figures.trained}; errors: {len(figures.errors)}; "
          f"server peak memory {peak:,.0f} MB")
    for error in figures.errors[:5]:
        print("  error:", error)


if __name__ == "__main__":
    main()
