"""Where the playground keeps its files."""

import os
from pathlib import Path


def workspace() -> Path:
    """``PLAYGROUND_HOME``, else ``~/.text-playground``: runs, cached corpora."""
    return Path(os.environ.get("PLAYGROUND_HOME") or Path.home() / ".text-playground")
