"""The package's layers hold: the core never imports gradio, every import goes down (or across)
the table in ``playground/__init__.py``, and no modules import each other in a circle."""

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import playground

PACKAGE = Path(playground.__file__).parent
CORE = sorted(
    info.name for info in pkgutil.walk_packages(playground.__path__, prefix="playground.")
    if not info.name.startswith("playground.ui") and info.name != "playground.__main__"
)
RANK = {place: rank for rank, (_, places) in enumerate(playground.LAYERS) for place in places}


def layer_of(module: str) -> int | None:
    """The rank of ``module``'s layer (``text.corpus`` is in the layer of the folder ``text``)."""
    return RANK.get(module.split(".")[0])


def module_files() -> dict[str, Path]:
    """Core module name (without ``playground.``) -> its file."""
    files = {}
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE).with_suffix("")
        if relative.parts[0] == "ui":
            continue
        parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
        files[".".join(parts)] = path
    files.pop("", None)  # the package itself: it only imports models, to register them
    return files


def imports_of(path: Path, known: set[str]) -> set[tuple[str, int]]:
    """Every playground module ``path`` imports, anywhere in it (functions too), with the line."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "playground":
            base = node.module.removeprefix("playground").lstrip(".")
            names = [f"{base}.{alias.name}".lstrip(".") for alias in node.names]
            names = [name if name in known else base for name in names]
        elif isinstance(node, ast.Import):
            names = [alias.name.removeprefix("playground.") for alias in node.names
                     if alias.name.startswith("playground.")]
        found |= {(name, node.lineno) for name in names if name}
    return found


def test_core_modules_exist():
    assert {"playground.text.corpus", "playground.generation.sampling", "playground.training.trainer",
            "playground.cli", "playground.models.lstm", "playground.models.transformer",
            "playground.models.gan"} <= set(CORE)


def test_the_folders_are_the_concepts():
    """No module sits loose beside the folders but the ground's and the top's."""
    loose = {path.stem for path in PACKAGE.glob("*.py")} - {"__init__"}
    assert loose == set(playground.LAYERS[0][1]) | set(playground.LAYERS[-1][1])
    folders = {path.parent.name for path in PACKAGE.glob("*/__init__.py")} - {"ui"}
    assert folders == {place for _, places in playground.LAYERS[1:-1] for place in places}


def test_every_core_module_has_a_layer():
    files = module_files()
    assert sorted(name for name in files if layer_of(name) is None) == []
    assert sorted(place for place in RANK if not any(name.split(".")[0] == place for name in files)) == []


def test_imports_never_go_up_a_layer():
    files = module_files()
    upward = [f"{name} (layer {playground.LAYERS[layer_of(name)][0]}) imports {target} "
              f"(layer {playground.LAYERS[layer_of(target)][0]}) at line {line}"
              for name, path in files.items() for target, line in imports_of(path, set(files))
              if layer_of(target) is not None and layer_of(target) > layer_of(name)]
    assert upward == []


def test_no_modules_import_each_other_in_a_circle():
    files = module_files()
    graph = {name: {target for target, _ in imports_of(path, set(files)) if target in files and target != name}
             for name, path in files.items()}
    # A package imports its own modules (models -> models.lstm): that direction is how it is built.
    for name in graph:
        graph[name] = {target for target in graph[name] if not target.startswith(name + ".")}
    cycles, state = [], {}

    def visit(node, trail):
        state[node] = "open"
        for target in sorted(graph[node]):
            if state.get(target) == "open":
                cycles.append(trail[trail.index(target):] + [target])
            elif target not in state:
                visit(target, trail + [target])
        state[node] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert cycles == []


def test_core_does_not_import_gradio():
    script = ("import sys, importlib\n"
              f"for name in {CORE!r}:\n    importlib.import_module(name)\n"
              "print('gradio' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                            cwd=Path(__file__).resolve().parent.parent)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "False"


def test_the_generate_tabs_sub_tabs_import_no_other_tab():
    """A sub-tab reads what the sub-tabs share (``form``, ``views``, ``model_list``) and never another
    sub-tab; no other tab imports the Generate tab (what two tabs show alike lives in a helper module)."""
    ui = PACKAGE / "ui"
    sub_tabs = {"next_token", "grid", "measure", "quality", "single"}
    found = []
    for path in sorted(ui.rglob("*.py")):
        module = ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            if isinstance(node, ast.ImportFrom) and node.module == "playground.ui.generate":
                names = [f"playground.ui.generate.{alias.name}" for alias in node.names]
            for name in names:
                target = name.removeprefix("playground.")
                inside = module.startswith("ui.generate")
                if (inside and module.split(".")[-1] in sub_tabs and target.split(".")[-1] in sub_tabs
                        and target != module) or (not inside and target.startswith("ui.generate")
                                                  and module != "ui.app"):
                    found.append(f"{module} imports {target}")
    assert found == []
