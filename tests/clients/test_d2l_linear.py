"""d2l-en, part A: the PyTorch code of chapter_preliminaries (pandas, calculus, probability,
lookup-api), chapter_linear-regression, chapter_linear-classification and
chapter_multilayer-perceptrons, extracted verbatim by d2l/extract.py (edits: EDITS.md), run
through the import alias on glasstorch and on real torch with the shared random stream of
_bridge.py, and compared: the printed output line by line (numbers apart), every number, and
the data of every figure the chapter drew (d2l/plotted.py prints it after the chapter ends:
the d2l.plot curves and the ProgressBoard's training curves, which the book shows as plots).

Numbers agree to 1e-6 relative where both frameworks do the same float32 arithmetic. Where a
chapter trains, the curves are compared to a looser band (see each test): float32 matmul and
reduction orders differ between NumPy's BLAS and torch's kernels by an ulp here and there, and
SGD carries those differences along.
"""
import os
import re

import pytest

import d2l_harness
from test_clients import run

HERE = os.path.dirname(os.path.abspath(__file__))
# a float as printed by Python, NumPy or a tensor repr, integral ones ("1.") included
NUMBER = re.compile(r"-?\d+\.\d*(?:e-?\d+)?")


def run_both(chapter, tmp_path, plots=True, n_train=512, n_val=256):
    """Output of d2l/<chapter>.py on glasstorch and on torch; with `plots`, followed by the
    data of the figures it drew."""
    script = os.path.join(HERE, "d2l", f"{chapter}.py")
    args = ("d2l/plotted.py", script) if plots else (f"d2l/{chapter}.py",)
    out = []
    for fw in ("glasstorch", "torch"):
        work = d2l_harness.setup_data(str(tmp_path / fw), n_train, n_val)
        out.append(run(fw, *args, cwd=work, timeout=900))
    return out


def split(text, loose=()):
    """(lines with numbers as '#', numbers) of an output; lines matching a `loose` pattern keep
    their shape but their numbers are left out (timings, unseeded Python `random`)."""
    lines, numbers = [], []
    for line in text.splitlines():
        if " at 0x" in line:                       # object addresses
            line = re.sub(r" at 0x[0-9a-f]+", "", line)
        line = line.replace("glasstorch", "torch")
        if any(re.search(p, line) for p in loose):
            lines.append(re.sub(r"\d+", "#", line))
            continue
        numbers += [float(x) for x in NUMBER.findall(line)]
        lines.append(NUMBER.sub("#", line))
    return lines, numbers


def assert_same(g, t, rel=1e-6, abs=1e-6, loose=()):
    """Same printed structure; every number equal to `rel`/`abs`. A float printed as "1." by
    one framework and "1.0000" by the other (a tensor whose elements are all integral in one
    of them only: one ulp) counts as the same structure; the values are still compared."""
    (lg, ng), (lt, nt) = split(g, loose), split(t, loose)
    assert lg == lt, "\n".join(a + "  |  " + b for a, b in zip(lg, lt) if a != b)
    assert len(ng) == len(nt)
    bad = [(i, a, b) for i, (a, b) in enumerate(zip(ng, nt))
           if a != pytest.approx(b, rel=rel, abs=abs)]
    assert not bad, f"{len(bad)} of {len(nt)} numbers differ, first: {bad[:5]}"


# ---- chapter_preliminaries -------------------------------------------------------------------
def test_pandas(tmp_path):
    g, t = run_both("preliminaries_pandas", tmp_path, plots=False)
    assert "dtype=torch.float64" in g
    assert_same(g, t, rel=0, abs=0)


def test_calculus(tmp_path):
    g, t = run_both("calculus", tmp_path)
    assert "numerical limit=2.00003" in g and "line 1 (_child1): 30 points" in g
    assert_same(g, t, rel=0, abs=0)


def test_probability(tmp_path):
    g, t = run_both("probability", tmp_path)
    # the coin tosses of cell 1 use Python's `random`, which the chapter does not seed:
    # different in every run (of either framework), so only their total is checked
    heads = re.search(r"heads, tails:  \[(\d+), (\d+)\]", g)
    assert int(heads[1]) + int(heads[2]) == 100
    # Multinomial draws from the shared stream: the same counts, estimates and plotted curves
    assert "line 0 (P(coin=heads)): 10000 points" in g
    assert_same(g, t, rel=0, abs=0, loose=[r"^heads, tails"])


def test_lookup_api(tmp_path):
    g, t = run_both("lookup_api", tmp_path, plots=False)
    # cell 1 lists dir(torch.distributions): every name torch's lists is there (glasstorch's
    # module has a few more of its own); cell 2 is help(torch.ones), a docstring of its own
    names = [set(eval(out.split("--- cell 1\n")[1].split("\n")[0])) for out in (g, t)]
    assert names[1] <= names[0], sorted(names[1] - names[0])
    assert "Help on " in g and "ones(" in g.split("--- cell 2\n")[1]
    assert g.split("--- cell 3\n")[1] == t.split("--- cell 3\n")[1] == "tensor([1., 1., 1., 1.])\n"


# ---- chapter_linear-regression ---------------------------------------------------------------
@pytest.mark.slow
def test_linear_regression(tmp_path):
    g, t = run_both("linear_regression", tmp_path)
    # cells 2 and 3 time a Python loop against one vectorized add: timings, not comparable
    # (their shape is); the plotted normal densities are compared
    assert_same(g, t, loose=[r" sec'$"])


@pytest.mark.slow
def test_oo_design(tmp_path):
    g, t = run_both("oo_design", tmp_path)
    assert_same(g, t)


@pytest.mark.slow
def test_synthetic_regression_data(tmp_path):
    g, t = run_both("synthetic_regression_data", tmp_path)
    assert_same(g, t)


@pytest.mark.parametrize("chapter", ["linear_regression_scratch", "linear_regression_concise"])
def test_linear_regression_training(tmp_path, chapter):
    g, t = run_both(chapter, tmp_path)
    assert "error in estimating w" in g
    assert_same(g, t)


@pytest.mark.slow
def test_weight_decay(tmp_path):
    g, t = run_both("weight_decay", tmp_path)
    assert_same(g, t)


# ---- chapter_linear-classification -----------------------------------------------------------
@pytest.mark.slow
def test_image_classification_dataset(tmp_path):
    g, t = run_both("image_classification_dataset", tmp_path)
    assert "torch.Size([64, 1, 32, 32]) torch.float32 torch.Size([64]) torch.int64" in g
    # cell 7 times one pass over the training loader: a timing, not comparable
    assert_same(g, t, loose=[r" sec'$"])


@pytest.mark.slow
def test_classification(tmp_path):
    g, t = run_both("classification", tmp_path)
    assert_same(g, t)


@pytest.mark.parametrize("chapter", ["softmax_regression_scratch", "softmax_regression_concise"])
def test_softmax_regression(tmp_path, chapter):
    g, t = run_both(chapter, tmp_path)
    assert "val_acc" in g
    assert_same(g, t)


# ---- chapter_multilayer-perceptrons ----------------------------------------------------------
def test_mlp(tmp_path):
    # ReLU, sigmoid, tanh and their gradients (autograd through x.grad) as plotted curves
    g, t = run_both("mlp", tmp_path)
    assert "ylabel='grad of relu'" in g
    assert_same(g, t)


def test_mlp_implementation(tmp_path):
    g, t = run_both("mlp_implementation", tmp_path)
    assert "val_acc" in g
    assert_same(g, t)


@pytest.mark.slow
def test_numerical_stability_and_init(tmp_path):
    g, t = run_both("numerical_stability_and_init", tmp_path)
    assert "after multiplying 100 matrices" in g
    assert_same(g, t)


@pytest.mark.slow
def test_dropout(tmp_path):
    g, t = run_both("dropout", tmp_path)
    assert "val_acc" in g
    assert_same(g, t)
