"""download=True against a local HTTP server (127.0.0.1, ephemeral port, a thread): mirrors,
checksums, resuming a .part with Range requests, atomic renames, clear errors. No internet."""
import hashlib
import http.server
import io
import os
import pickle
import shutil
import tarfile
import threading

import numpy as np
import pytest

from glasstorch.vision.datasets import CIFAR10, MNIST
from glasstorch.vision.datasets.mnist import BUNDLED_MNIST
from glasstorch.vision.datasets.utils import download_url, extract_archive

NAME = "t10k-labels-idx1-ubyte.gz"
PAYLOAD = open(os.path.join(BUNDLED_MNIST, "t10k-images-idx3-ubyte.gz"), "rb").read()


def md5(data):
    return hashlib.md5(data).hexdigest()


class Server:
    """Serves `files` (name -> bytes) under /ok/; everything else is 404. Honors
    `Range: bytes=N-` unless ignore_ranges; `cut` truncates the next replies (a dropped link)."""

    def __init__(self):
        self.files, self.requests = {}, []
        self.ignore_ranges, self.cut = False, None
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests.append((self.path, self.headers.get("Range")))
                name = self.path.rsplit("/", 1)[-1]
                if not self.path.startswith("/ok/") or name not in server.files:
                    self.send_error(404, "File not found")
                    return
                data, start = server.files[name], 0
                rng = self.headers.get("Range")
                if rng and not server.ignore_ranges:
                    start = int(rng.split("=")[1].rstrip("-"))
                    if start >= len(data):
                        self.send_error(416, "Range Not Satisfiable")
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                else:
                    self.send_response(200)
                body = data[start:]
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body if server.cut is None else body[:server.cut])

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,),
                                       daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = Server()
    s.files[NAME] = PAYLOAD
    yield s
    s.close()


def fetch(server, tmp_path, md5sum=None, **kw):
    return download_url([server.url + "missing/" + NAME, server.url + "ok/" + NAME], tmp_path,
                        NAME, md5=md5sum or md5(PAYLOAD), quiet=True, **kw)


def test_mirrors_and_atomic_result(server, tmp_path):
    path = fetch(server, tmp_path)
    assert open(path, "rb").read() == PAYLOAD and os.listdir(tmp_path) == [NAME]
    assert [p for p, _ in server.requests] == ["/missing/" + NAME, "/ok/" + NAME]
    fetch(server, tmp_path)  # already there and verified: no request
    assert len(server.requests) == 2
    sha = hashlib.sha256(PAYLOAD).hexdigest()
    os.remove(path)
    assert download_url(server.url + "ok/" + NAME, tmp_path, sha256=sha, quiet=True) == path


@pytest.mark.parametrize("ignore_ranges", [False, True])
def test_resume_a_partial_file(server, tmp_path, ignore_ranges):
    server.ignore_ranges = ignore_ranges  # a 200 reply rewrites the .part from scratch
    (tmp_path / (NAME + ".part")).write_bytes(PAYLOAD[:1000])
    fetch(server, tmp_path)
    assert (tmp_path / NAME).read_bytes() == PAYLOAD and not (tmp_path / (NAME + ".part")).exists()
    assert server.requests[-1] == ("/ok/" + NAME, "bytes=1000-")


def test_resume_after_a_dropped_connection(server, tmp_path):
    server.cut = 5000
    with pytest.raises(RuntimeError, match="connection closed after 5000 of"):
        fetch(server, tmp_path)
    part = tmp_path / (NAME + ".part")
    assert part.read_bytes() == PAYLOAD[:5000] and not (tmp_path / NAME).exists()
    server.cut = None
    fetch(server, tmp_path)
    assert (tmp_path / NAME).read_bytes() == PAYLOAD and not part.exists()
    assert server.requests[-1][1] == "bytes=5000-"


def test_complete_part_and_bad_part(server, tmp_path):
    part = tmp_path / (NAME + ".part")
    part.write_bytes(PAYLOAD)  # the server answers 416: nothing left to send
    fetch(server, tmp_path)
    assert (tmp_path / NAME).read_bytes() == PAYLOAD
    os.remove(tmp_path / NAME)
    part.write_bytes(b"garbage" * 10)  # a resumed file failing its checksum is redone once
    fetch(server, tmp_path)
    assert (tmp_path / NAME).read_bytes() == PAYLOAD
    assert server.requests[-2][1] == "bytes=70-" and server.requests[-1][1] is None


def test_checksum_mismatch_leaves_no_file(server, tmp_path):
    with pytest.raises(RuntimeError, match="checksum mismatch: md5 is [0-9a-f]{32}, expected 0+"):
        fetch(server, tmp_path, md5sum="0" * 32)
    assert os.listdir(tmp_path) == []


def test_http_errors_are_listed(server, tmp_path):
    with pytest.raises(RuntimeError, match=r"(?s)from any mirror.*missing.*HTTP Error 404"):
        download_url([server.url + "missing/" + NAME], tmp_path, NAME, quiet=True)
    with pytest.raises(RuntimeError, match="Connection refused|URLError|Errno"):
        download_url("http://127.0.0.1:1/x.gz", tmp_path, quiet=True, timeout=5)


def test_mnist_download(server, tmp_path, monkeypatch):
    resources = []
    for name in ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                 "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]:
        server.files[name] = open(os.path.join(BUNDLED_MNIST, name), "rb").read()
        resources.append((name, md5(server.files[name])))
    monkeypatch.setattr(MNIST, "mirrors", [server.url + "missing/", server.url + "ok/"])
    monkeypatch.setattr(MNIST, "resources", resources)
    with pytest.raises(RuntimeError, match="Dataset not found. You can use download=True"):
        MNIST(root=str(tmp_path))
    ds = MNIST(root=str(tmp_path), train=False, download=True)
    np.testing.assert_array_equal(ds.data.numpy(), MNIST(train=False).data.numpy())
    assert sorted(os.listdir(tmp_path / "MNIST" / "raw")) == sorted(n for n, _ in resources)
    count = len(server.requests)
    MNIST(root=str(tmp_path), download=True)  # files present: nothing fetched
    assert len(server.requests) == count


def test_mnist_download_checksum_mismatch(server, tmp_path, monkeypatch):
    monkeypatch.setattr(MNIST, "mirrors", [server.url + "ok/"])
    monkeypatch.setattr(MNIST, "resources", [(NAME, "f" * 32)])
    with pytest.raises(RuntimeError, match="checksum mismatch"):
        MNIST(root=str(tmp_path), train=False, download=True)
    assert os.listdir(tmp_path / "MNIST" / "raw") == []


def tiny_cifar_tarball():
    """cifar-10-python.tar.gz with 2-image batches, and the md5 of every member."""
    rng = np.random.default_rng(0)
    members = {}
    for name, _ in CIFAR10.train_list + CIFAR10.test_list:
        members[name] = pickle.dumps({"data": rng.integers(0, 256, (2, 3072), dtype=np.uint8),
                                      "labels": [1, 7], "batch_label": name}, protocol=2)
    members["batches.meta"] = pickle.dumps({"label_names": [f"c{i}" for i in range(10)]},
                                           protocol=2)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue(), {name: md5(data) for name, data in members.items()}


def test_cifar10_download(server, tmp_path, monkeypatch):
    tarball, sums = tiny_cifar_tarball()
    server.files[CIFAR10.filename] = tarball
    monkeypatch.setattr(CIFAR10, "mirrors", [server.url + "ok/"])
    monkeypatch.setattr(CIFAR10, "tgz_md5", md5(tarball))
    monkeypatch.setattr(CIFAR10, "train_list", [[n, sums[n]] for n, _ in CIFAR10.train_list])
    monkeypatch.setattr(CIFAR10, "test_list", [[n, sums[n]] for n, _ in CIFAR10.test_list])
    monkeypatch.setattr(CIFAR10, "meta", dict(CIFAR10.meta, md5=sums["batches.meta"]))
    with pytest.raises(RuntimeError, match="Dataset not found or corrupted"):
        CIFAR10(str(tmp_path))
    ds = CIFAR10(str(tmp_path), download=True)
    assert len(ds) == 10 and ds.targets[:2] == [1, 7] and ds.classes[3] == "c3"
    count = len(server.requests)
    assert len(CIFAR10(str(tmp_path), train=False, download=True)) == 2
    assert len(server.requests) == count  # verified files: no new download
    monkeypatch.setattr(CIFAR10, "tgz_md5", "0" * 32)
    shutil.rmtree(tmp_path / "cifar-10-batches-py")
    os.remove(tmp_path / CIFAR10.filename)
    with pytest.raises(RuntimeError, match="checksum mismatch"):
        CIFAR10(str(tmp_path), download=True)
    assert os.listdir(tmp_path) == []


def test_extract_archive_refuses_escapes_and_reports_corruption(tmp_path):
    evil = tmp_path / "evil.tar"
    with tarfile.open(evil, "w") as tar:
        info = tarfile.TarInfo("../outside.txt")
        info.size = 3
        tar.addfile(info, io.BytesIO(b"bad"))
    (tmp_path / "out").mkdir()
    with pytest.raises(RuntimeError, match="evil.tar: refusing to extract"):
        extract_archive(str(evil), str(tmp_path / "out"))
    assert not (tmp_path / "outside.txt").exists()
    broken = tmp_path / "broken.tar.gz"
    broken.write_bytes(b"\x1f\x8b\x08\x00 not really gzip")
    with pytest.raises(RuntimeError, match="corrupt archive"):
        extract_archive(str(broken))
    with pytest.raises(RuntimeError, match="unknown archive type"):
        extract_archive(str(tmp_path / "file.rar"))
