"""What can be checked of the packaging without Docker: it agrees with app.py and the Makefile."""

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def dockerfile() -> list[tuple[str, str]]:
    lines = (ROOT / "Dockerfile").read_text().replace("\\\n", " ").splitlines()
    instructions = [line.strip().split(None, 1) for line in lines if line.strip() and not line.startswith("#")]
    return [(word.upper(), rest) for word, rest in instructions]


def test_dockerfile_parses_and_matches_the_app():
    instructions = dockerfile()
    known = {"FROM", "ENV", "WORKDIR", "COPY", "RUN", "EXPOSE", "CMD", "VOLUME"}
    assert {word for word, _ in instructions} <= known
    assert instructions[0][0] == "FROM" and "slim" in instructions[0][1]
    assert ("EXPOSE", "7860") in instructions
    command = json.loads(dict(instructions)["CMD"])
    assert command[:2] == ["python", "app.py"]
    assert command[command.index("--host") + 1] == "0.0.0.0"
    assert command[command.index("--port") + 1] == "7860"
    copied = " ".join(rest for word, rest in instructions if word == "COPY")
    for path in ("requirements.txt", "app.py", "playground/", "pretrained/"):
        assert path in copied


def test_app_defaults_to_localhost_7860():
    result = subprocess.run([sys.executable, str(ROOT / "app.py"), "--help"], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0
    source = (ROOT / "app.py").read_text()
    assert '"127.0.0.1"' in source and '"7860"' in source


def test_one_tensorflow_only():
    names = [re.split(r"[=<>\[ ]", line)[0].lower() for line in (ROOT / "requirements.txt").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    assert "tensorflow-cpu" in names and "tensorflow" not in names
    assert all("==" in line for line in (ROOT / "requirements.txt").read_text().splitlines()
               if line.strip() and not line.startswith("#"))


def test_ci_runs_make_test_and_the_readme_shows_both_commands():
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "make run" in readme and "make test" in readme
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^run:", makefile, re.M) and re.search(r"^test:", makefile, re.M)
