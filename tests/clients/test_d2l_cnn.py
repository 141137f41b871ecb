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


# ---- chapter_convolutional-modern ---------------------------------------------------------------
def test_batch_norm(tmp_path):
    # BN from scratch (batch_norm with moving averages by hand) and nn.LazyBatchNorm2d LeNets,
    # 1 epoch each on 256 images: the curves and the printed gamma/beta to 1e-6
    g, t = run_notebook("batch_norm", tmp_path, "--board", n_train=256, n_val=128)
    assert_same_chapters(g, t)
    assert len(board(g, "train_loss")) == 4 and len(board(g, "val_acc")) == 2


def test_resnet(tmp_path):
    # ResNet-18 at 32x32 (d2l's 96x96 edited; the global average pool takes any size >= 32),
    # 1 epoch on 128 images. 1e-5 relative: 18 float32 convolutions + batch norms summed in
    # another order than torch's oneDNN kernels leave the losses ~1e-6 apart (measured 1.2e-6)
    g, t = run_notebook("resnet", tmp_path, "--board", n_train=128, n_val=128)
    assert_same_chapters(g, t, rel=1e-5, abs=1e-6)
    assert len(board(g, "train_loss")) == 1 and len(board(g, "val_acc")) == 1
    assert "torch.Size([4, 32, 96, 96])" in g      # the ResNeXt block keeps its input shape


# The big CNNs, same runs but heavier (each ~15-25 s of CPU for the two frameworks): slow.
# Inputs resized to 96x96 for AlexNet and NiN (their 11x11/4 stem and three 3x3/2 pools need
# >= 65x65 and 67x67), 32x32 for VGG, GoogLeNet, DenseNet and RegNet (five halvings); the
# layer summaries keep the book's sizes.
# RegNetX-32 (cnn_design: 10 ResNeXt blocks of grouped convolutions and batch norms) within
# 5e-4 relative: the first loss agrees to 1e-7 but after one SGD step torch's own float32
# gradients are 8.5e-4 (relative to the largest) off the float64 ones, glasstorch's 6.5e-6
# off, and both frameworks' float64 gradients agree to 1e-11 (measured on the first batch);
# the second loss then differs by 1.0e-4 relative, the validation loss by 1.3e-5.
@pytest.mark.slow
@pytest.mark.parametrize("chapter,rel", [("alexnet", 1e-5), ("vgg", 1e-5), ("nin", 1e-5),
                                         ("googlenet", 1e-5), ("densenet", 1e-5),
                                         ("cnn_design", 5e-4)])
def test_modern_cnn(tmp_path, chapter, rel):
    g, t = run_notebook(chapter, tmp_path, "--board", n_train=256, n_val=128)
    assert_same_chapters(g, t, rel=rel, abs=1e-6)
    assert len(board(g, "train_loss")) == 2 and len(board(g, "val_acc")) == 1
