"""d2l-en's builders' guide and convolutional chapters (chapter_builders-guide,
chapter_convolutional-neural-networks, chapter_convolutional-modern): their PyTorch cells
(tests/clients/d2l/*.py, extracted verbatim by extract.py; the epoch/size edits are listed in
EDITS.md and marked `# EDIT` in the scripts) run on glasstorch through the import alias and on
torch 2.13, both on the shared random stream of _bridge.py (same initial weights, batches and
dropout masks), cell by cell through d2l/_notebook.py.

Compared: the whole printed output (shapes, module reprs, parameter listings, tensors) and,
with `--board`, every point the chapters' training gives d2l's ProgressBoard (train_loss,
val_loss, val_acc: the curves the book plots), numbers to 1e-6 unless a test says otherwise.
The Fashion-MNIST stand-in (d2l_harness) is made small: `n_train`/`n_val` images.
No chapter here prints a timing.
"""
import re

import pytest

from d2l_harness import assert_same_output, setup_data
from test_clients import run

ERROR = re.compile(r"^(\w+(?:Error|Exception)): .*$", re.M)


def run_notebook(chapters, tmp_path, *flags, n_train=512, n_val=256, timeout=900):
    """d2l/<chapter>.py for each chapter (one process per framework), cell by cell, on
    glasstorch and on torch; both outputs."""
    out = {}
    for fw in ("glasstorch", "torch"):
        work = setup_data(str(tmp_path / fw), n_train, n_val)
        out[fw] = run(fw, "d2l/_notebook.py", *flags, *chapters.split(), cwd=work,
                      timeout=timeout)
    return out["glasstorch"], out["torch"]


def assert_same_chapters(g, t, **tol):
    """assert_same_output per chapter (the `=== chapter` sections), so a failure names it."""
    gs, ts = re.split(r"^=== ", g, flags=re.M)[1:], re.split(r"^=== ", t, flags=re.M)[1:]
    assert [x.split()[0] for x in gs] == [x.split()[0] for x in ts]
    for a, b in zip(gs, ts):
        assert_same_output(a, b, **tol)


def board(text, label):
    return [float(y) for y in re.findall(rf"^board {label} x=\S+ y=(\S+)$", text, re.M)]


# ---- chapter_builders-guide --------------------------------------------------------------------
def test_builders_guide(tmp_path):
    # use-gpu last: it redefines d2l.Trainer.__init__. On a CPU-only machine torch's
    # try_gpu() is the CPU and num_gpus() 0, and `X.cuda(1)` raises a RuntimeError, after
    # which `Y + Z` and `Z.cuda(1)` find no Z: the chapters run as a notebook that goes on
    # after an error. The messages are each framework's own (glasstorch names the device)
    g, t = run_notebook("model_construction parameters init_param lazy_init custom_layer "
                        "read_write use_gpu", tmp_path, "--allow-errors", n_train=8, n_val=8)
    assert ERROR.findall(g) == ERROR.findall(t) == ["RuntimeError", "NameError", "NameError"]
    assert "device 'cuda' is not available" in g
    assert_same_chapters(ERROR.sub(r"\1", g), ERROR.sub(r"\1", t))
    assert g.count("=== ") == 7 and "LazyLinear(in_features=0, out_features=256" in g


# ---- chapter_convolutional-neural-networks -----------------------------------------------------
def test_cnn_basics(tmp_path):
    g, t = run_notebook("conv_layer padding_and_strides channels pooling", tmp_path,
                        "--board", n_train=8, n_val=8)
    assert_same_chapters(g, t)
    assert g.count("=== ") == 4


def test_lenet(tmp_path):
    # 2 epochs on 256 images: float32 sigmoid LeNet, same curves to 1e-6
    g, t = run_notebook("lenet", tmp_path, "--board", n_train=256, n_val=128)
    assert_same_chapters(g, t)
    assert len(board(g, "train_loss")) == 4 and len(board(g, "val_acc")) == 2
