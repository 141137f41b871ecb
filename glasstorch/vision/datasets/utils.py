"""Fetching and checking dataset files: mirrors, checksums, resumable atomic downloads, archives.

`download_url(urls, root, filename, md5=None, sha256=None)` gets one file over HTTP(S) (urllib),
trying each mirror in turn:
- bytes go to `<filename>.part`. If a .part is already there (an interrupted download), a Range
  request asks only for the rest: a 206 reply is appended, a 200 (server ignores ranges)
  rewrites the file, a 416 means the .part already holds everything;
- the finished .part is checked against md5/sha256 and only then renamed onto the final name
  with os.replace (atomic), so a file under its final name is always complete and verified;
- a checksum mismatch deletes the .part (resuming would keep the bad bytes; a resumed file is
  retried once from scratch) and moves on to the next mirror. When every mirror fails, the
  RuntimeError lists what went wrong with each. Network errors keep the .part for next time.
Datasets (mnist.py, cifar.py) call it with their class attribute `mirrors`.
"""
import gzip
import hashlib
import http.client
import os
import shutil
import tarfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile

__all__ = ["calculate_md5", "check_md5", "check_integrity", "download_url", "extract_archive",
           "download_and_extract_archive"]

USER_AGENT = "glasstorch"
_CHUNK = 1 << 20


def _digest(fpath, algorithm):
    h = hashlib.new(algorithm, usedforsecurity=False)  # integrity, not security (FIPS builds)
    with open(fpath, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def calculate_md5(fpath, chunk_size=_CHUNK):
    return _digest(fpath, "md5")


def check_md5(fpath, md5):
    return md5 == calculate_md5(fpath)


def check_integrity(fpath, md5=None, sha256=None):
    """True if `fpath` is a file matching every checksum given (none given: it exists)."""
    if not os.path.isfile(fpath):
        return False
    if md5 is not None and _digest(fpath, "md5") != md5:
        return False
    return sha256 is None or _digest(fpath, "sha256") == sha256


def _mismatch(fpath, md5, sha256):
    """Why `fpath` fails its checksums (None if it passes)."""
    for name, want in (("md5", md5), ("sha256", sha256)):
        if want is not None:
            got = _digest(fpath, name)
            if got != want:
                return f"checksum mismatch: {name} is {got}, expected {want}"
    return None


def _fetch(url, part, timeout):
    """Write (or continue) `url` into `part`; True if it continued an existing partial file."""
    start = os.path.getsize(part) if os.path.exists(part) else 0
    req = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    if start:
        req.add_header("Range", f"bytes={start}-")
    try:
        resp = urllib.request.urlopen(req, timeout=timeout)
    except urllib.error.HTTPError as e:
        if e.code == 416 and start:  # nothing left after `start`: the .part is already whole
            return True
        raise
    with resp:
        resumed = bool(start) and resp.status == 206
        if resumed and not (resp.headers.get("Content-Range") or "").startswith(
                f"bytes {start}-"):
            raise OSError(f"server answered the range request with Content-Range "
                          f"{resp.headers.get('Content-Range')!r}")
        expected = resp.headers.get("Content-Length")
        got = 0
        with open(part, "ab" if resumed else "wb") as f:
            for chunk in iter(lambda: resp.read(_CHUNK), b""):
                f.write(chunk)
                got += len(chunk)
        if expected is not None and got < int(expected):
            raise OSError(f"connection closed after {got} of {expected} bytes")
    return resumed


def download_url(url, root, filename=None, md5=None, sha256=None, *, timeout=60, quiet=False):
    """Download `url` (a URL or a list of mirror URLs of the same file) to root/filename and
    return the path; a file already there that passes the checksums is kept as it is."""
    urls = [url] if isinstance(url, str) else list(url)
    root = os.path.expanduser(os.fspath(root))
    filename = filename or os.path.basename(urllib.parse.urlparse(urls[0]).path)
    fpath = os.path.join(root, filename)
    if check_integrity(fpath, md5, sha256):
        return fpath
    os.makedirs(root, exist_ok=True)
    part, errors = fpath + ".part", []
    for u in urls:
        for _ in range(2):  # a second pass only to redo a resumed file from scratch
            if not quiet:
                print(f"Downloading {u} to {fpath}")
            try:
                resumed = _fetch(u, part, timeout)
            except (urllib.error.URLError, http.client.HTTPException, OSError) as e:
                errors.append(f"{u}: {e}")
                break
            problem = _mismatch(part, md5, sha256)
            if problem is None:
                os.replace(part, fpath)
                return fpath
            os.remove(part)
            if not resumed:
                errors.append(f"{u}: {problem}")
                break
    raise RuntimeError(f"Could not download {filename} from any mirror:\n  " +
                       "\n  ".join(errors))


def _safe_extract_tar(tar, to_path, from_path):
    """extractall, refusing members that would land outside to_path (../, absolute, links)."""
    if hasattr(tarfile, "data_filter"):  # Python >= 3.11.4 / 3.10.12
        try:
            tar.extractall(to_path, filter="data")
        except tarfile.FilterError as e:
            raise RuntimeError(f"{from_path}: refusing to extract ({e})") from None
        return
    base = os.path.realpath(to_path)
    for m in tar.getmembers():
        target = os.path.realpath(os.path.join(to_path, m.name))
        if not (m.isfile() or m.isdir()) or os.path.commonpath([base, target]) != base:
            raise RuntimeError(f"{from_path}: refusing to extract {m.name!r} (outside "
                               f"{to_path}, or a link)")
    tar.extractall(to_path)


def extract_archive(from_path, to_path=None, remove_finished=False):
    """Extract a .tar[.gz|.bz2|.xz]/.tgz/.zip archive, or gunzip a single .gz file, into
    `to_path` (default: the archive's folder); return `to_path`."""
    from_path = os.fspath(from_path)
    to_path = os.fspath(to_path) if to_path is not None else os.path.dirname(from_path)
    name = from_path.lower()
    try:
        if name.endswith((".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz", ".tar.xz", ".txz")):
            with tarfile.open(from_path, "r:*") as tar:
                _safe_extract_tar(tar, to_path, from_path)
        elif name.endswith(".zip"):
            with zipfile.ZipFile(from_path) as z:  # ZipFile.extractall sanitizes member names
                z.extractall(to_path)
        elif name.endswith(".gz"):
            out = os.path.join(to_path, os.path.basename(from_path)[:-3])
            with gzip.open(from_path, "rb") as f, open(out, "wb") as g:
                shutil.copyfileobj(f, g, _CHUNK)
        else:
            raise RuntimeError(f"{from_path}: unknown archive type (expected .tar.gz, .tgz, "
                               ".tar, .zip or .gz)")
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, gzip.BadGzipFile) as e:
        raise RuntimeError(f"{from_path}: corrupt archive ({e})") from None
    if remove_finished:
        os.remove(from_path)
    return to_path


def download_and_extract_archive(url, download_root, extract_root=None, filename=None,
                                 md5=None, sha256=None, remove_finished=False, *, quiet=False):
    """download_url, then extract_archive into extract_root (default: download_root)."""
    archive = download_url(url, download_root, filename, md5=md5, sha256=sha256, quiet=quiet)
    return extract_archive(archive, extract_root or download_root, remove_finished)
