"""A private run stays private, end to end: two API clients each train a run on a server whose workspace
is under the home folder (as ``~/.text-playground`` is); the second is refused every action on the first's
run, and nobody fetches the first's download from any address but the one its owner was given."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

from conftest import TINY_MODEL, make_text, running_app, train_kwargs


def train_one_run(student: Client, seed: int) -> str:
    """A tiny model trained on a pasted text; the name of the run it saved."""
    student.predict("paste", [], make_text(6000, seed=seed), "python-docs", "char", 0.1, 10_000,
                    api_name="/load_corpus")
    status, *_ = student.predict(**train_kwargs(TINY_MODEL, 0.2, 0, 16, 32, 0.01, "adam", seed), api_name="/train")
    assert "Finished after" in status, status
    return only_run(student)


def only_run(student: Client) -> str:
    table = student.predict(api_name="/list_runs")
    names = [row[table["headers"].index("name")] for row in table["data"]]
    assert len(names) == 1, names  # the run it trained, and nobody else's
    return names[0]


def fetch(url: str) -> httpx.Response:
    """A plain GET with no session, no cookie and no login: anyone on the network."""
    return httpx.get(url, timeout=60)


@pytest.mark.timeout(600)
def test_a_trained_run_and_its_download_stay_with_their_owner(home_workspace, tmp_path):
    with running_app(PLAYGROUND_PRETRAINED=tmp_path / "none") as (url, _):
        # Ada sees the addresses the server hands her, as a browser does, instead of downloaded copies.
        ada, ben = Client(url, verbose=False, download_files=False), Client(url, verbose=False)
        mine, his = train_one_run(ada, 1), train_one_run(ben, 2)
        assert mine != his and only_run(ada) == mine and only_run(ben) == his

        nobody = rf"^There is no saved run called '{mine}'\.$"
        for endpoint, arguments in (
                ("/load_run", (mine,)), ("/compare_runs", ([mine],)),
                ("/compare_quality", ([mine], 4, 4, 20, "0.5, 1.0")), ("/resume_run", (mine,)),
                ("/rename_run", (mine, "stolen")), ("/delete_run", (mine, mine)), ("/export_run", (mine,)),
                ("/export_notebook", (mine,)), ("/publish_run", (mine,))):
            with pytest.raises(AppError, match=nobody):
                ben.predict(*arguments, api_name=endpoint)
        assert only_run(ada) == mine  # all still there, unchanged

        # Ada's download: a real bundle with her corpus, from the address she was given.
        given = ada.predict(mine, api_name="/export_run")
        served = given["url"] if isinstance(given, dict) else given.url
        answer = fetch(served)
        assert answer.status_code == 200
        with zipfile.ZipFile(io.BytesIO(answer.content)) as bundle:
            assert {"config.json", "tokenizer.json", "model.keras", "history.csv", "corpus.txt.gz"} <= \
                set(bundle.namelist())
        # It lies in a folder named by random bits, never by the run: run names are times, easily guessed.
        folder = Path(served.split("file=", 1)[1]).parent.name
        assert mine not in folder and len(folder) >= 32, served

        # Her notebook is handed over the same way, from another folder of random bits.
        given = ada.predict(mine, api_name="/export_notebook")
        notebook_served = given["url"] if isinstance(given, dict) else given.url
        assert fetch(notebook_served).status_code == 200
        assert Path(notebook_served.split("file=", 1)[1]).parent.name != folder

        # Every address that can be worked out from the run's name is refused, with no session at all.
        exported = home_workspace / "exports" / f"{mine}.zip"
        assert exported.is_file()  # the server's own copy is there, and is not served
        guessed = [exported, home_workspace / "exports" / f"{mine}-notebook.zip",
                   home_workspace / "runs" / mine / "corpus.txt.gz",
                   home_workspace / "runs" / mine / "model.keras",
                   Path(served.split("file=", 1)[1]).parent.parent / f"{mine}.zip"]
        for path in guessed:
            for address in (f"{url}gradio_api/file={path}", f"{url}gradio_api/file={quote(str(path))}",
                            f"{url}gradio_api/file/{path}", f"{url}file={path}"):
                answer = fetch(address)
                assert answer.status_code >= 400 and b"PK" not in answer.content[:2], (address, answer.status_code)

        # Another download gives another address.
        again = ada.predict(mine, api_name="/export_run")
        assert (again["url"] if isinstance(again, dict) else again.url) != served
