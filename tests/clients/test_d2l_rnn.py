"""d2l-en's recurrent chapters (chapter_recurrent-neural-networks, chapter_recurrent-modern):
their PyTorch cells (tests/clients/d2l/*.py, extracted by extract.py, edits in EDITS.md) run
on glasstorch through the import alias and on torch 2.13, both on the shared random stream of
_bridge.py (same initial weights, batches and dropout masks), and the printed outputs agree:
the same lines, and every number (tensors, predictions, and the training curves d2l draws,
printed by d2l/curves.py as `curve label x y`) within the tolerance each test states.

Tolerances: data-only chapters are exact (1e-6). Training runs in float32; the two frameworks
sum in different orders (BLAS kernels, reductions), so the curves differ by a few ulps at the
first step and the difference grows slowly with every update. The bands below are the
measured divergence after the (edited) epoch counts times ~10 for headroom.

bptt and beam-search have no code cells.
"""
import re

import pytest

from d2l_harness import assert_same_output, run_chapter, run_chapter_curves


def curves(text):
    """{label: [y, ...]} of the `curve` lines."""
    out = {}
    for label, _, y in re.findall(r"^curve (\S+) (\S+) (\S+)$", text, re.M):
        out.setdefault(label, []).append(float(y))
    return out


def test_machine_translation_and_dataset(tmp_path):
    # data only: the stand-in's text, tokens, vocabularies and a first shuffled batch
    g, t = run_chapter("machine_translation_and_dataset", tmp_path)
    assert_same_output(g, t)
    assert "source: tensor([[" in g and "['go', '.', '<eos>']" in g


@pytest.mark.parametrize("chapter", ["text_sequence", "language_model", "rnn", "bi_rnn",
                                     "encoder_decoder"])
def test_chapter_without_training(chapter, tmp_path):
    # tokens, vocabularies, batches, small tensors: exact
    g, t = run_chapter(chapter, tmp_path)
    assert_same_output(g, t)


def test_sequence(tmp_path):
    # linear autoregression on a noisy sine, 5 epochs of SGD (float32)
    g, t = run_chapter_curves("sequence", tmp_path)
    assert_same_output(g, t, rel=1e-5)
    assert len(curves(g)["train_loss"]) >= 10


def test_rnn_scratch(tmp_path):
    # RNN from scratch on The Time Machine, 2 epochs (measured max relative difference of
    # the perplexities 7e-7); then 20 characters predicted greedily: the same string
    g, t = run_chapter_curves("rnn_scratch", tmp_path)
    assert_same_output(g, t, rel=1e-5)
    ppl = curves(g)["train_ppl"]
    assert len(ppl) == 20 and ppl[-1] < ppl[0] - 5


def test_rnn_concise(tmp_path):
    # nn.RNN language model, 2 epochs (measured 6e-7)
    g, t = run_chapter_curves("rnn_concise", tmp_path)
    assert_same_output(g, t, rel=1e-5)
    assert len(curves(g)["train_ppl"]) == 20


def test_lstm(tmp_path):
    # LSTM from scratch, then nn.LSTM (the concise model), 2 epochs each (measured 6e-7)
    g, t = run_chapter_curves("lstm", tmp_path)
    assert_same_output(g, t, rel=1e-5)
    assert len(curves(g)["train_ppl"]) == 40


def test_seq2seq(tmp_path):
    # GRU encoder-decoder on the English-French stand-in, 2 epochs with dropout 0.2 between
    # the GRU layers (drawn from the shared stream); measured 4e-7; then four greedy
    # translations with their BLEU
    g, t = run_chapter_curves("seq2seq", tmp_path)
    assert_same_output(g, t, rel=1e-5)
    assert len(re.findall(r"=> \[.*\], bleu,\d\.\d{3}", g)) == 4


@pytest.mark.slow
def test_gru(tmp_path):
    # GRU from scratch, then nn.GRU (lr 4), 2 epochs each: the concise run's last validation
    # perplexities differ by 6e-5 relative (float32 divergence amplified by the large step)
    g, t = run_chapter_curves("gru", tmp_path)
    assert_same_output(g, t, rel=5e-4)
    assert len(curves(g)["train_ppl"]) == 40


@pytest.mark.slow
def test_deep_rnn(tmp_path):
    # two-layer GRU from scratch and nn.GRU(num_layers=2), 2 epochs each (measured 2e-6)
    g, t = run_chapter_curves("deep_rnn", tmp_path)
    assert_same_output(g, t, rel=5e-5)
    assert len(curves(g)["train_ppl"]) == 40
