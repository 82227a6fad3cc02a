"""The Galaxy10 download: mirrors in order, checksums, no partial file, clear offline errors.

A file server on 127.0.0.1 serves a small stand-in for Galaxy10.h5.
"""

from __future__ import annotations

import functools
import hashlib
import http.server
from pathlib import Path

import pytest
import yaml

from conftest import local_server
from sim2model.io.download import DownloadError, verify_sha256
from sim2model.registry import STUDY_CLASSES
from sim2model.stages.download import download_reference as galaxy10_download

REPO = Path(__file__).resolve().parents[1]
CONTENT = b"stand-in for Galaxy10.h5\n" * 4000


@pytest.fixture
def server(tmp_path):
    """Base URL of a file server on 127.0.0.1 serving ``tmp_path/served``."""
    served = tmp_path / "served"
    served.mkdir()
    (served / "Galaxy10.h5").write_bytes(CONTENT)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *args: None
    with local_server(handler) as httpd:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"


def closed_port_url() -> str:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/Galaxy10.h5"  # nothing listens there any more


def test_download_tries_mirrors_in_order_and_records_the_checksum(server, tmp_path):
    target, record = tmp_path / "dl" / "Galaxy10.h5", tmp_path / "dl" / "Galaxy10.h5.sha256"
    urls = [closed_port_url(), f"{server}/missing.h5", f"{server}/Galaxy10.h5"]
    galaxy10_download(str(target), urls=urls, sha256=None, record=str(record), timeout=5)
    assert target.read_bytes() == CONTENT
    digest = hashlib.sha256(CONTENT).hexdigest()
    assert record.read_text().split()[0] == digest
    verify_sha256(target, None, record)  # a later read checks the recorded hash
    target.write_bytes(CONTENT + b"x")
    with pytest.raises(DownloadError, match=f"recorded in {record}"):
        verify_sha256(target, None, record)
    target.unlink()
    (tmp_path / "served" / "Galaxy10.h5").write_bytes(b"another version")
    with pytest.raises(DownloadError, match=f"differs from the expected {digest}"):
        galaxy10_download(str(target), urls=urls[2:], sha256=None, record=str(record), timeout=5)
    assert not target.exists() and not target.with_name("Galaxy10.h5.part").exists()


def test_pinned_checksum_mismatch_is_a_clear_error_and_leaves_no_file(server, tmp_path):
    target = tmp_path / "Galaxy10.h5"
    with pytest.raises(DownloadError, match="SHA-256 .* differs from the expected 0{64}"):
        galaxy10_download(str(target), urls=[f"{server}/Galaxy10.h5"], sha256="0" * 64,
                          record=str(tmp_path / "r.sha256"), timeout=5)  # fmt: skip
    assert list(tmp_path.glob("Galaxy10.h5*")) == []
    digest = hashlib.sha256(CONTENT).hexdigest().upper()  # pinned hashes may be upper case
    galaxy10_download(str(target), urls=[f"{server}/Galaxy10.h5"], sha256=digest,
                      record=str(tmp_path / "r.sha256"), timeout=5)  # fmt: skip
    assert target.read_bytes() == CONTENT and not (tmp_path / "r.sha256").exists()


def test_offline_error_names_the_url_and_where_to_put_the_file(tmp_path):
    target = tmp_path / "downloads" / "Galaxy10.h5"
    url = closed_port_url()
    with pytest.raises(DownloadError) as caught:
        galaxy10_download(str(target), urls=[url], sha256=None, record=str(tmp_path / "r"))
    assert f"from {url} and put it at {target}" in str(caught.value)
    assert not target.exists() and not target.with_name("Galaxy10.h5.part").exists()


def galaxy10(**h5):
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    config["galaxy10"].update(source="h5", h5=h5)
    return STUDY_CLASSES["galaxy10"](config)


def test_a_local_file_skips_the_download_and_none_downloads(tmp_path):
    local = tmp_path / "Galaxy10.h5"
    local.write_bytes(CONTENT)
    study = galaxy10(path=str(local))
    study.check()
    assert not study.downloads() and study.shards("h5")[0].inputs == (str(local),)
    study = galaxy10(path=None)
    study.check()
    options = study.download_options()
    assert study.downloads() and study.shards("h5")[0].inputs == ("downloads/galaxy10/Galaxy10.h5",)
    assert options["urls"][0].startswith("https://zenodo.org/records/")
    assert len(options["sha256"]) == 64
    assert galaxy10(path=None, sha256=None).download_options()["sha256"] is None


@pytest.mark.slow  # two Snakemake runs
def test_the_rule_downloads_from_the_local_server_and_refuses_a_bad_checksum(server, tmp_path):
    import subprocess
    import sys

    def run(sha256):
        config = tmp_path / "download.yaml"
        h5 = {"path": None, "urls": [f"{server}/Galaxy10.h5"], "sha256": sha256}
        settings = {"studies": ["galaxy10"], "galaxy10": {"source": "h5", "h5": h5}}
        config.write_text(yaml.safe_dump(settings))
        return subprocess.run(
            [sys.executable, "-m", "snakemake", "--cores", "1", "--configfile",
             str(REPO / "config" / "config.yaml"), str(config), "-d", str(tmp_path / "work"),
             "downloads/galaxy10/Galaxy10.h5"],
            capture_output=True, text=True, cwd=REPO, timeout=300,
        )  # fmt: skip

    target = tmp_path / "work" / "downloads" / "galaxy10" / "Galaxy10.h5"
    out = run("f" * 64)
    log = tmp_path / "work" / "logs" / "download_reference" / "galaxy10" / "Galaxy10.h5.log"
    log = log.read_text()
    assert out.returncode != 0 and f"differs from the expected {'f' * 64}" in log
    assert not target.exists() and not target.with_name("Galaxy10.h5.part").exists()
    out = run(hashlib.sha256(CONTENT).hexdigest())
    assert out.returncode == 0, out.stderr[-2000:]
    assert target.read_bytes() == CONTENT
