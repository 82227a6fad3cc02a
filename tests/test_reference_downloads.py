"""Downloads of the public reference files through the one generic stage (rule
``download_reference``): the EoR map table ``df_recode.gzip``, the cosmic-ray skies
``cr_sphere.npz``, the Galaxy10 pickle ``dataG.pkl.gz`` (and Galaxy10.h5, tested in
test_galaxy10_download.py).

A server on 127.0.0.1 serves small files in each real format, written as the reference files
are (a gzip pandas pickle with the EoR columns, an npz with ``data`` (N, P, 4) and ``label``, a
gzip pickle of the Galaxy10 4-tuple); the study's own source stage then reads the download.

Google Drive: ``gdrive:<id>`` mirrors go through gdown, which always asks
``https://drive.google.com/uc?id=<id>`` (it rewrites any Drive URL to that) and then follows the
virus-scan confirmation page's form to ``drive.usercontent.google.com``. gdown opens its HTTP
session with ``requests.session()``; the fixture ``local_drive`` patches that factory (for the
test only) to return a session with a transport adapter mounted on those two https hosts that
sends each request to the local server instead, the host kept as the first path segment
(``/drive.google.com/uc?id=...``). gdown's own code, the confirm-page parsing included, runs
unchanged; the session ignores proxy settings of the environment.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import pickle
import socket
import subprocess
import sys
import urllib.parse
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import requests
import yaml

from conftest import local_server
from sim2model.io.download import DownloadError
from sim2model.registry import STUDY_CLASSES
from sim2model.stages.download import download_reference

REPO = Path(__file__).resolve().parents[1]
DRIVE_ID = "1XKN-Ik7BDyMWdQ230zWS2bNxXL3_9jZq"
UUID = "5f8a5d2e-0000-4000-8000-000000000000"


# --- small files in the real layouts --------------------------------------------------------------
def eor_table() -> bytes:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "maps": [rng.normal(size=(8, 8)) for _ in range(6)],
            "xHI": rng.uniform(0, 1, 6),
            "redshift": np.repeat([8.0, 9.0], 3),
        }
    )
    out = io.BytesIO()
    frame.to_pickle(out, compression="gzip")
    return out.getvalue()


def crsphere_npz() -> bytes:
    rng = np.random.default_rng(1)
    data = rng.normal(size=(10, 20, 4))
    data[..., :3] /= np.linalg.norm(data[..., :3], axis=-1, keepdims=True)  # arrival directions
    out = io.BytesIO()
    np.savez(out, data=data, label=np.arange(10) % 2)
    return out.getvalue()


def galaxy10_pickle() -> bytes:
    rng = np.random.default_rng(2)
    content = (
        rng.integers(0, 256, (8, 69, 69, 1), dtype=np.uint8),
        np.eye(5)[np.arange(8) % 5],
        rng.integers(0, 256, (5, 69, 69, 1), dtype=np.uint8),
        np.eye(5)[np.arange(5)],
    )
    return gzip.compress(pickle.dumps(content), compresslevel=1)


#: study -> (source, file name, the source block's extra settings, content, samples it holds)
DATASETS = {
    "eor21cm": ("pickle", "df_recode.gzip", eor_table(), 6),
    "crsphere": ("npz", "cr_sphere.npz", crsphere_npz(), 10),
    "galaxy10": ("pickle", "dataG.pkl.gz", galaxy10_pickle(), 13),
}
FILES = {name: content for _, name, content, _ in DATASETS.values()}


# --- the server -----------------------------------------------------------------------------------
class Handler(BaseHTTPRequestHandler):
    """/files/<name>: the file; /truncated/<name>: Content-Length larger than the body, then the
    connection closes; /drive.google.com/uc?id=<id>: Drive's virus-scan confirmation page;
    /drive.usercontent.google.com/download?...&confirm=t&uuid=<uuid>: the file (truncated when
    the server's ``truncate_drive`` is set)."""

    def log_message(self, *args):
        pass

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        self.server.requests.append(self.path)
        parts = url.path.strip("/").split("/")
        name = {v: k for k, v in self.server.drive.items()}.get(query.get("id"))
        if parts[0] == "files" and parts[1] in FILES:
            self.send_file(FILES[parts[1]])
        elif parts[0] == "truncated" and parts[1] in FILES:
            body = FILES[parts[1]]
            self.send_response(200)
            self.send_header("Content-Length", str(len(body) + 1000))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])  # HTTP/1.0: the connection closes after
        elif url.path == "/drive.google.com/uc" and name:
            page = CONFIRM_PAGE.format(id=query["id"], name=name, uuid=UUID).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)
        elif (
            url.path == "/drive.usercontent.google.com/download"
            and name
            and query.get("confirm") == "t"
            and query.get("uuid") == UUID
        ):
            body = FILES[name]
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Disposition", f'attachment; filename="{name}"')
            size = len(body) + (1000 if self.server.truncate_drive else 0)
            self.send_header("Content-Length", str(size))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2] if self.server.truncate_drive else body)
        else:
            self.send_error(404)

    def send_file(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


#: The page Drive serves instead of a file too large to scan (one line per element, as gdown's
#: get_url_from_gdrive_confirmation reads it: the form ``#download-form`` and its hidden fields).
CONFIRM_PAGE = """<!DOCTYPE html><html><head><title>Google Drive - Virus scan warning</title></head>
<body><div class="uc-main"><div id="uc-text"><p class="uc-warning-caption">Google Drive can't scan this file for viruses.</p>
<p class="uc-warning-subcaption"><span class="uc-name-size"><a href="/open?id={id}">{name}</a> (763M)</span> is too large for Google to scan for viruses. Would you still like to download this file?</p>
<form id="download-form" action="https://drive.usercontent.google.com/download" method="get"><input type="submit" id="uc-download-link" value="Download anyway"/><input type="hidden" name="id" value="{id}"><input type="hidden" name="export" value="download"><input type="hidden" name="confirm" value="t"><input type="hidden" name="uuid" value="{uuid}"></form>
</div></div></body></html>
"""  # noqa: E501


@pytest.fixture
def server():
    """The local server; ``.url`` its base URL, ``.drive`` Drive id -> file name it serves."""
    with local_server(Handler) as httpd:
        httpd.requests, httpd.truncate_drive = [], False
        httpd.drive = {
            "cr_sphere.npz": DRIVE_ID,
            "df_recode.gzip": "17nmV0nSkDauSnHnm78xuUDUrCR8p2ldp",
        }
        httpd.url = f"http://127.0.0.1:{httpd.server_address[1]}"
        yield httpd


class LocalDrive(requests.adapters.HTTPAdapter):
    """Sends a request for a Drive host to ``base``, the host as the first path segment."""

    def __init__(self, base: str) -> None:
        super().__init__()
        self.base = base

    def send(self, request, **kwargs):
        url = urllib.parse.urlsplit(request.url)
        request.url = f"{self.base}/{url.hostname}{url.path}?{url.query}"
        return super().send(request, **kwargs)


def patch_drive(monkeypatch, base: str) -> None:
    """gdown's sessions send Drive's requests to ``base`` (see the module docstring)."""
    make_session = requests.Session

    def session():
        sess = make_session()
        sess.trust_env = False
        for host in ("drive.google.com", "drive.usercontent.google.com"):
            sess.mount(f"https://{host}/", LocalDrive(base))
        return sess

    monkeypatch.setattr(requests, "session", session)


@pytest.fixture
def local_drive(server, monkeypatch):
    patch_drive(monkeypatch, server.url)
    return server


def closed_port() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"  # nothing listens there any more


# --- studies ------------------------------------------------------------------------------------
def study_for(name: str, **block):
    """The study with its reference source and ``path`` null (downloaded), ``block`` added."""
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    source = DATASETS[name][0]
    settings = config[name]
    settings["source"] = source
    settings[source] = {**settings.get(source, {}), "path": None, **block}
    if name == "eor21cm":  # the reference table names no box; its maps keep their size
        settings.setdefault("dataset", {})["group_by"] = None
        settings["image_size"] = "native"
    study = STUDY_CLASSES[name](config)
    study.check()
    return study


def fetch(study) -> Path:
    """Run the download stage as rule download_reference does; return the target."""
    download_reference(study.download_path(), **study.download_options(), timeout=5)
    return Path(study.download_path())


def read_back(study):
    """The source stage's reading of the study's first shard (the checks before unpickling)."""
    shard = study.shards(study.source_variants()[0])[0]
    return study.build_shard(shard.plan, 0, "cache")


def leftovers(target: Path) -> list[str]:
    """Files at or beside ``target`` other than its SHA-256 record."""
    return sorted(p.name for p in target.parent.glob("*") if not p.name.endswith(".sha256"))


# --- tests --------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(DATASETS))
def test_a_good_download_is_read_by_the_study_reader(name, server, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _, file, content, n = DATASETS[name]
    study = study_for(name, urls=[f"{server.url}/files/{file}"])
    assert study.download_files() == [file]
    shard = study.shards(study.source_variants()[0])[0]
    assert shard.inputs == (f"downloads/{name}/{file}",)  # what rule download_reference makes
    target = fetch(study)
    assert target.read_bytes() == content and leftovers(target) == [file]
    digest = hashlib.sha256(content).hexdigest()
    assert Path(f"{target}.sha256").read_text().split()[0] == digest  # recorded (none pinned)
    assert len(read_back(study).y) == n
    # A later change of the file is caught before the reader unpickles it.
    target.write_bytes(content[:-1] + bytes([content[-1] ^ 1]))
    with pytest.raises(DownloadError, match=f"recorded in downloads/{name}/{file}.sha256"):
        read_back(study)


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_a_checksum_mismatch_leaves_nothing(name, server, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    file = DATASETS[name][1]
    study = study_for(name, urls=[f"{server.url}/files/{file}"], sha256="0" * 64)
    with pytest.raises(DownloadError, match="differs from the expected 0{64} .pinned"):
        fetch(study)
    assert not Path("downloads", name).exists() or list(Path("downloads", name).iterdir()) == []


def test_a_truncated_transfer_leaves_nothing_and_names_the_url(server, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    url = f"{server.url}/truncated/df_recode.gzip"
    study = study_for("eor21cm", urls=[url])
    with pytest.raises(DownloadError) as caught:
        fetch(study)
    message = str(caught.value)
    assert f"from {url} and put it at downloads/eor21cm/df_recode.gzip" in message
    assert list(Path("downloads", "eor21cm").iterdir()) == []
    # The next mirror is tried after a broken one.
    study = study_for("eor21cm", urls=[url, f"{server.url}/files/df_recode.gzip"])
    assert fetch(study).read_bytes() == FILES["df_recode.gzip"]


@pytest.mark.parametrize("name", ["crsphere", "eor21cm"])
def test_drive_confirmation_page_is_followed(name, local_drive, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _, file, content, n = DATASETS[name]
    study = study_for(name)  # the default mirror: the reference notebook's Drive file
    (mirror,) = study.download_options()["urls"]
    drive_id = local_drive.drive[file]
    assert mirror == f"gdrive:{drive_id}"
    target = fetch(study)
    assert target.read_bytes() == content and leftovers(target) == [file]
    first, second = local_drive.requests
    assert first == f"/drive.google.com/uc?id={drive_id}"  # the confirmation page, then the file
    assert second.startswith("/drive.usercontent.google.com/download?") and UUID in second
    assert len(read_back(study).y) == n


def test_drive_checksum_mismatch_and_truncation_leave_nothing(local_drive, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder = Path("downloads", "crsphere")
    with pytest.raises(DownloadError, match="differs from the expected f{64}"):
        fetch(study_for("crsphere", sha256="f" * 64))
    assert list(folder.iterdir()) == []
    local_drive.truncate_drive = True
    with pytest.raises(DownloadError, match="(?s)every mirror failed.*incomplete"):
        fetch(study_for("crsphere"))
    assert list(folder.iterdir()) == []  # neither the target, nor .part, nor a gdown temp file


def test_offline_errors_name_the_drive_url_and_where_to_put_the_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    patch_drive(monkeypatch, closed_port())
    with pytest.raises(DownloadError) as caught:
        fetch(study_for("crsphere"))
    assert (
        f"from https://drive.google.com/uc?id={DRIVE_ID} and put it at "
        "downloads/crsphere/cr_sphere.npz, or give the path of a local copy" in str(caught.value)
    )
    assert list(Path("downloads", "crsphere").iterdir()) == []
    with pytest.raises(DownloadError, match="no URL to download it from; set"):
        fetch(study_for("galaxy10", urls=[]))


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_a_local_path_skips_the_download(name, tmp_path):
    source, file, content, n = DATASETS[name]
    local = tmp_path / file
    local.write_bytes(content)
    study = study_for(name, path=str(local))
    assert not study.downloads() and study.download_files() == []
    shard = study.shards(study.source_variants()[0])[0]
    assert shard.inputs == (str(local),) and "record" not in shard.plan
    assert len(read_back(study).y) == n


@pytest.mark.slow  # one Snakemake dry run per source
@pytest.mark.parametrize(
    "name, source, file",
    [(n, s, f) for n, (s, f, _, _) in DATASETS.items()] + [("galaxy10", "h5", "Galaxy10.h5")],
)
def test_each_source_with_path_null_plans_the_download(name, source, file, tmp_path):
    settings = {"studies": [name], name: {"source": source, source: {"path": None}}}
    if name == "eor21cm":
        settings[name]["dataset"] = {"group_by": None}
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(settings))
    out = subprocess.run(
        [sys.executable, "-m", "snakemake", "-n", "--configfile", str(REPO / "config/config.yaml"),
         str(config), "-d", str(tmp_path / "work")],
        capture_output=True, text=True, cwd=REPO, timeout=300,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    assert "rule download_reference:" in out.stdout
    assert f"output: downloads/{name}/{file}" in out.stdout
