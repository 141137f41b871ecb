"""d2l-en's recurrent chapters (chapter_recurrent-neural-networks, chapter_recurrent-modern):
their PyTorch cells (tests/clients/d2l/*.py, extracted by extract.py, edits in EDITS.md) run
cell by cell through d2l/_notebook.py, several chapters per process, on glasstorch through
the import alias and on torch 2.13, both on the shared random stream of _bridge.py (same
initial weights, batches and dropout masks, the dropout between GRU layers included). The
printed outputs agree: the same lines, and every number (tensors, predictions, the data of
d2l.plot's figures (d2l/with_figures.py) and with `--board` each point of the training curves d2l
draws) within the tolerance each test states.

Tolerances: chapters without training are exact (1e-6). Training runs in float32; the two
frameworks sum in different orders (BLAS kernels, reductions), so the curves differ by a few
ulps at the first step and the difference grows slowly with every update: the bands are the
measured divergence after the (edited) epoch counts, times ~10 for headroom.

The two runs go side by side (CI has two cores), each on one BLAS thread: torch's oracle is
on one thread already (run.py), and two processes with two OpenBLAS threads each on two busy
cores spin against each other (measured under load: a 1024x32 @ 32x32 product took 7 ms of
CPU instead of 25 us).

bptt and beam-search have no code cells.
"""
import os
import re
from concurrent.futures import ThreadPoolExecutor

import pytest

from d2l_harness import HERE, assert_same_output, setup_data
from test_clients import run


def run_notebook(chapters, tmp_path, *flags, timeout=1800):
    """d2l/<chapter>.py for each chapter, one process per framework, both at once; under
    d2l/with_figures.py --cleared, so the data of the figures (d2l.plot's curves) are printed too."""
    notebook = os.path.join(HERE, "d2l", "_notebook.py")

    def one(fw):
        work = setup_data(str(tmp_path / fw))
        return run(fw, "d2l/with_figures.py", "--cleared", notebook, *flags, *chapters.split(), cwd=work,
                   timeout=timeout, env={"OPENBLAS_NUM_THREADS": "1"})
    with ThreadPoolExecutor(2) as pool:
        return tuple(pool.map(one, ("glasstorch", "torch")))


def chapters(text, names):
    """{chapter: its output (its figures' data included)} from the `=== chapter` lines."""
    parts = re.split(rf"^=== ({'|'.join(map(re.escape, names))})$", text, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2]))


def assert_same_chapters(g, t, tol):
    """assert_same_output chapter by chapter (so a failure names it), rel. tolerance each."""
    gs, ts = chapters(g, tol), chapters(t, tol)
    assert list(gs) == list(ts) == list(tol)
    for name, rel in tol.items():
        assert_same_output(gs[name], ts[name], rel=rel)


def board(text, label):
    return [float(y) for y in re.findall(rf"^board {label} x=\S+ y=(\S+)$", text, re.M)]


def test_rnn_chapters_without_training(tmp_path):
    # tokens, vocabularies, batches of The Time Machine and of the English-French stand-in,
    # small tensors, model definitions: exact
    names = ("text_sequence language_model rnn bi_rnn encoder_decoder "
             "machine_translation_and_dataset")
    g, t = run_notebook(names, tmp_path)
    assert_same_chapters(g, t, dict.fromkeys(names.split(), 1e-6))
    mt = chapters(g, names.split())["machine_translation_and_dataset"]
    assert "['go', '.', '<eos>']" in mt


def test_rnn_chapters_training(tmp_path):
    # sequence: linear autoregression on a noisy sine, 5 epochs; rnn-scratch, rnn-concise,
    # lstm (scratch and nn.LSTM) on The Time Machine, 2 epochs each, then 20 characters
    # predicted greedily; seq2seq: GRU encoder-decoder on the English-French stand-in, 2
    # epochs with dropout 0.2 between the GRU layers, then four greedy translations and their
    # BLEU. Measured max relative differences: 7e-7 (perplexities, losses)
    names = "sequence rnn_scratch rnn_concise lstm seq2seq"
    g, t = run_notebook(names, tmp_path, "--board")
    assert_same_chapters(g, t, dict.fromkeys(names.split(), 1e-5))
    out = chapters(g, names.split())
    assert "legend=['1-step preds', 'multistep preds']" in out["sequence"]
    assert len(board(out["sequence"], "train_loss")) >= 10
    for name, n in (("rnn_scratch", 20), ("rnn_concise", 20), ("lstm", 40)):
        ppl = board(out[name], "train_ppl")
        assert len(ppl) == n and ppl[-1] < ppl[0] - 5, (name, ppl)
    assert len(board(out["seq2seq"], "train_loss")) == 8
    assert len(re.findall(r"=> \[.*\], bleu,\d\.\d{3}", out["seq2seq"])) == 4


@pytest.mark.slow
def test_rnn_chapters_training_gru(tmp_path):
    # gru and deep-rnn: GRUs from scratch, then nn.GRU (lr 4) and nn.GRU(num_layers=2), 2
    # epochs each; the concise GRU's last validation perplexities differ by 6e-5 relative
    # (float32 divergence amplified by the large step), deep-rnn's by 2e-6
    g, t = run_notebook("gru deep_rnn", tmp_path, "--board")
    assert_same_chapters(g, t, {"gru": 5e-4, "deep_rnn": 5e-5})
    for name in ("gru", "deep_rnn"):
        assert len(board(chapters(g, ("gru", "deep_rnn"))[name], "train_ppl")) == 40


def book_epochs(chapter, tmp_path):
    """d2l/<chapter>.py with its epoch edits undone (each `max_epochs=2 ...  # EDIT: was
    max_epochs=N` back to N), written under tmp_path; its path without .py, for _notebook.py."""
    with open(os.path.join(HERE, "d2l", chapter + ".py"), encoding="utf-8") as f:
        text = f.read()
    text, n = re.subn(r"max_epochs=\d+([^\\]*?)  # EDIT: was (max_epochs=\d+)", r"\2\1", text)
    assert n >= 1 and "EDIT" not in text
    path = tmp_path / f"{chapter}_book"
    path.with_suffix(".py").write_text(text, encoding="utf-8")
    return str(path)


@pytest.mark.slow
def test_seq2seq_book_epochs(tmp_path):
    # seq2seq as the book runs it (30 epochs; ~40 s of CPU per framework): measured, the
    # training losses stay within 1e-3 relative of torch's (float32 divergence over 120 Adam
    # steps), and the four translations and their BLEU are the same
    chapter = book_epochs("seq2seq", tmp_path)
    g, t = run_notebook(chapter, tmp_path, "--board")
    assert_same_chapters(g, t, {chapter: 2e-3})
    translations = re.findall(r"^.* => \[.*\], bleu,\d\.\d{3}$", g, re.M)
    assert translations == re.findall(r"^.* => \[.*\], bleu,\d\.\d{3}$", t, re.M)
    assert "he's calm . => ['il', 'est', 'calme', '.'], bleu,1.000" in translations
