"""A corpus of hostile checkpoints (truncations, byte flips, zip bombs, size lies, traversal
names, malformed and deep headers, malicious pickles): glasstorch.load must reject every one
with a typed error naming the file, inside a memory cap set with resource.setrlimit in a child
process, and never run the pickles' code. A byte flip may also leave a file that still loads:
then it must give exactly the saved values."""
import hashlib
import io
import json
import os
import pickle
import random
import struct
import subprocess
import sys
import textwrap
import zipfile

import pytest

import glasstorch as gt

CAP_MB = 384          # address space the loader may add on top of what the imports took


def _saved(obj):
    buf = io.BytesIO()
    gt.save(obj, buf)
    return buf.getvalue()


def _zip(members, method=zipfile.ZIP_STORED):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as zf:
        for name, data in members:
            zf.writestr(name, data)
    return out.getvalue()


def _header(root, tensors=(), storages=(), pickles=()):
    return json.dumps({"format": "glasstorch-checkpoint", "version": 1, "byteorder": "little",
                       "root": root, "tensors": list(tensors),
                       "storages": [{"nbytes": len(b), "sha256": hashlib.sha256(b).hexdigest()}
                                    for b in storages], "pickles": list(pickles)})


def _tensor(shape, strides, dtype="float32", offset=0):
    return {"storage": 0, "dtype": dtype, "shape": shape, "offset": offset,
            "strides": strides, "requires_grad": False, "parameter": False}


def _lie_sizes(data, member, size):
    """`data` with the central directory claiming `size` bytes for `member`."""
    at = data.index(b"PK\x01\x02")
    while True:
        name_len = struct.unpack_from("<H", data, at + 28)[0]
        if data[at + 46:at + 46 + name_len] == member.encode():
            break
        at = data.index(b"PK\x01\x02", at + 4)
    b = bytearray(data)
    struct.pack_into("<II", b, at + 20, size, size)
    return bytes(b)


class _Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def _corpus(tmp, marker):
    """name -> bytes; every file must fail to load (flips: or load the right values)."""
    good = _saved({"w": gt.arange(64, dtype=gt.float32).reshape(8, 8), "b": gt.ones(8),
                   "step": 3, "names": ["a", "b"]})
    c = {}
    for cut in (0, 1, 4, 30, 100, len(good) // 2, len(good) - 22, len(good) - 1):
        c[f"truncated_{cut}"] = good[:cut]
    ones = bytes(16)
    # zip bombs: compressed members (a few kB that inflate to 64 MiB)
    big = bytes(64 * 2**20)
    c["bomb_storage"] = _zip([("header.json", _header({"tensor": 0}, [_tensor([16 * 2**20],
                              [4])], [big])), ("storages/0.bin", big)], zipfile.ZIP_DEFLATED)
    c["bomb_header"] = _zip([("header.json", json.dumps({"format": "glasstorch-checkpoint",
                             "version": 1, "root": None, "tensors": [], "storages": [],
                             "pad": "x" * (64 * 2**20)}))], zipfile.ZIP_DEFLATED)
    # size lies: the directory claims ~4 GiB for a small member; the header agrees
    s = _zip([("header.json", _header({"tensor": 0}, [_tensor([4], [4])], [ones])),
              ("storages/0.bin", ones)])
    c["lie_storage_4gib"] = _lie_sizes(s, "storages/0.bin", 0xFFFFFFF0)
    c["lie_header_4gib"] = _lie_sizes(s, "header.json", 0xFFFFFFF0)
    hdr = json.loads(_header({"tensor": 0}, [_tensor([4], [4])], [ones]))
    hdr["storages"][0]["nbytes"] = 2**40          # a 1 TiB claim
    c["claim_1tib"] = _zip([("header.json", json.dumps(hdr)), ("storages/0.bin", ones)])
    c["stride0_1e12"] = _zip([("header.json", _header({"tensor": 0}, [_tensor(
        [10**6, 10**6], [0, 0])], [ones])), ("storages/0.bin", ones)])
    c["huge_shape_int"] = _zip([("header.json", _header({"tensor": 0}, [_tensor(
        [2**70], [4])], [ones])), ("storages/0.bin", ones)])
    c["negative_offset"] = _zip([("header.json", _header({"tensor": 0}, [_tensor(
        [4], [4], offset=-8)], [ones])), ("storages/0.bin", ones)])
    c["header_40mb"] = _zip([("header.json", _header({"list": [0] * (20 * 2**20)}))])
    for depth in (400, 100_000):
        c[f"nested_{depth}"] = _zip([("header.json", _header(None).replace(
            '"root": null', '"root": ' + '{"list": [' * depth + "]}" * depth))])
    for i, h in enumerate(['{"format": "glasstorch-checkpoint"}', "[]", "null", "{", "\xff",
                           '{"format": "glasstorch-checkpoint", "version": 1, "root": 1, '
                           '"tensors": 3, "storages": []}',
                           '{"format": "glasstorch-checkpoint", "version": 1, "root": 1, '
                           '"tensors": [], "storages": [{"nbytes": -1, "sha256": ""}]}',
                           '{"format": "glasstorch-checkpoint", "version": "1", "root": 1, '
                           '"tensors": [], "storages": []}',
                           '{"format": "glasstorch-checkpoint", "version": 1, "root": '
                           '{"tensor": "0"}, "tensors": [], "storages": []}']):
        c[f"malformed_header_{i}"] = _zip([("header.json", h.encode("latin-1"))])
    c["traversal"] = _zip([("header.json", _header(None)), ("../../evil", b"x")])
    c["absolute_name"] = _zip([("header.json", _header(None)), ("/etc/evil", b"x")])
    c["duplicate_member"] = _zip([("header.json", _header(None)), ("header.json",
                                                                   _header(1))])
    c["pickle_in_zip"] = _zip([("header.json", _header({"pickle": 0, "type": "x"},
                                                        pickles=[{"type": "x"}])),
                               ("pickles/0.pkl", pickle.dumps(_Evil(marker)))])
    c["raw_pickle"] = pickle.dumps(_Evil(marker))
    # PyTorch-format zips (read by the torch-format reader): a hostile pickle, a lying storage
    c["torch_zip_evil_pickle"] = _zip([("archive/data.pkl", pickle.dumps(_Evil(marker))),
                                       ("archive/version", b"3\n")])
    buf = io.BytesIO()
    import torch
    torch.save({"w": torch.ones(4)}, buf)
    real = buf.getvalue()
    name = next(n for n in zipfile.ZipFile(io.BytesIO(real)).namelist() if "/data/" in n)
    c["torch_zip_storage_lie"] = _lie_sizes(real, name, 0xFFFFFFF0)
    c["torch_zip_truncated"] = real[:len(real) // 2]
    c["garbage"] = random.Random(0).randbytes(4096)
    rng = random.Random(1)
    for i in range(40):
        b = bytearray(good)
        b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
        c[f"flip_{i}"] = bytes(b)
    return c


_CHILD = textwrap.dedent("""
    import os, pickle, resource, sys, time
    import glasstorch as gt
    def vm():
        with open("/proc/self/status") as f:
            return dict(l.split(":", 1) for l in f)["VmSize"].split()[0]
    base = int(vm()) * 1024
    cap = base + int(sys.argv[2]) * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    good = gt.load(os.path.join(sys.argv[1], "good"))
    bad = []
    n = 0
    for name in sorted(os.listdir(sys.argv[1])):
        if name == "good":
            continue
        n += 1
        path = os.path.join(sys.argv[1], name)
        try:
            got = gt.load(path)
        except (RuntimeError, pickle.UnpicklingError) as e:
            if not str(e).startswith(path) or "Traceback" in str(e):
                bad.append(f"{name}: message does not start with the path: {e}")
            continue
        except BaseException as e:
            bad.append(f"{name}: {type(e).__name__}: {str(e)[:200]}")
            continue
        same = name.startswith("flip_") and set(got) == set(good) and all(
            (got[k] == good[k]).all() if isinstance(good[k], gt.Tensor) else got[k] == good[k]
            for k in good)
        if not same:
            bad.append(f"{name}: loaded without error")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(n, (rss - rss0) // 1024)
    print("\\n".join(bad))
""")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc, setrlimit")
@pytest.mark.filterwarnings("ignore:Duplicate name")
def test_hostile_corpus_typed_errors_within_memory_cap(tmp_path):
    marker = tmp_path / "pwned"
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    gt.save({"w": gt.arange(64, dtype=gt.float32).reshape(8, 8), "b": gt.ones(8), "step": 3,
             "names": ["a", "b"]}, corpus / "good")
    cases = _corpus(tmp_path, marker)
    for name, data in cases.items():
        (corpus / name).write_bytes(data)
    out = subprocess.run([sys.executable, "-c", _CHILD, str(corpus), str(CAP_MB)],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    first, *problems = out.stdout.splitlines()
    n, grew_mb = map(int, first.split())
    print(f"hostile corpus: {n} files, {len([p for p in problems if p])} mishandled; peak RSS "
          f"grew {grew_mb} MB (cap {CAP_MB} MB of address space)")
    assert n == len(cases)
    assert not [p for p in problems if p], "\n".join(problems)
    assert not marker.exists(), "a pickle's code ran"
