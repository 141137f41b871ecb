"""d2l-en's chapter_attention-mechanisms-and-transformers: the PyTorch cells of each section,
extracted verbatim by d2l/extract.py, run on glasstorch (through the import alias, as
`glasstorch exec` runs them) and on real torch with the shared random stream of _bridge.py,
and their output compared.

Most cells of this chapter print nothing: their result is a plot (`d2l.plot`,
`d2l.show_heatmaps`) or the training curves of d2l's ProgressBoard. d2l/with_figures.py runs
the chapter and then prints every open figure's labels, line data and heatmap pixels, so those
are compared number by number too.

Where the run is deterministic up to float32 rounding and nothing trains, every number agrees
to 1e-6. Training (bahdanau-attention, transformer, vision-transformer) is compared within
the bands written at each test, with the reason. large-pretraining-transformers has no code.
"""
import os

import pytest

import d2l_harness
from test_clients import run

HERE = os.path.dirname(os.path.abspath(__file__))


def outputs(chapter, tmp_path, timeout=900):
    """The chapter's printed output and figures on glasstorch and on torch."""
    out = {}
    for fw in ("glasstorch", "torch"):
        work = d2l_harness.setup_data(str(tmp_path / fw))
        out[fw] = run(fw, "d2l/with_figures.py", os.path.join(HERE, "d2l", f"{chapter}.py"),
                      cwd=work, timeout=timeout)
    return out["glasstorch"], out["torch"]


@pytest.mark.parametrize("chapter, figures", [
    ("queries_keys_values", 1),                      # show_heatmaps of eye(10)
    ("attention_pooling", 5),                        # kernels; Nadaraya-Watson fits, heatmaps
    ("attention_scoring_functions", 2),              # masked_softmax printed; two heatmaps
    ("multihead_attention", 0),                      # shape checks only
    ("self_attention_and_positional_encoding", 2),   # encoding curves and heatmap
])
def test_d2l_attention_exact(tmp_path, chapter, figures):
    g, t = outputs(chapter, tmp_path)
    assert g.count("=== figure") == t.count("=== figure") == figures, g[-3000:]
    d2l_harness.assert_same_output(g, t, rel=1e-6, abs=1e-6)


def assert_same_before_and_after(g, t, cell, rel, abs):
    """Output before `--- cell N` (no training yet) to 1e-6; from there on within the band."""
    marker = f"--- cell {cell}\n"
    assert marker in g and marker in t
    (g0, g1), (t0, t1) = g.split(marker, 1), t.split(marker, 1)
    d2l_harness.assert_same_output(g0, t0, rel=1e-6, abs=1e-6)
    d2l_harness.assert_same_output(g1, t1, rel=rel, abs=abs)


def test_d2l_transformer_tiny(tmp_path):
    # The whole section: FFN, AddNorm, encoder/decoder blocks (shapes and printed values to
    # 1e-6), then the English-French Transformer trained 1 epoch instead of 30 (4 Adam steps
    # on d2l_harness's stand-in pairs, dropout 0.2 through the shared stream) and the
    # encoder/decoder attention heatmaps of a greedy translation. Training is float32 and Adam
    # divides by sqrt(v): gradients a few ulps apart move weights by up to lr per step, so the
    # runs drift apart. Measured: losses 2.3e-5 relative, attention weights 1.1e-4 absolute;
    # band 1e-3 either way (the translations, printed token by token, must be identical).
    g, t = outputs("transformer", tmp_path)
    assert g.count("=== figure") == t.count("=== figure") == 4   # board + 3 heatmap grids
    assert_same_before_and_after(g, t, 13, rel=1e-3, abs=1e-3)


@pytest.mark.slow
def test_d2l_bahdanau_attention(tmp_path):
    # Seq2seq with additive attention (GRU encoder/decoder, dropout 0.2 between GRU layers:
    # the bridge runs torch's GRU layer by layer so both draw that mask from the shared
    # stream), trained 2 epochs instead of 30, then translations and the attention heatmap.
    # Measured: 3e-6 relative, 5e-7 absolute; band 1e-4 / 1e-5.
    g, t = outputs("bahdanau_attention", tmp_path)
    assert g.count("=== figure") == t.count("=== figure") == 2   # board + heatmap
    assert_same_before_and_after(g, t, 4, rel=1e-4, abs=1e-5)


@pytest.mark.slow
def test_d2l_vision_transformer(tmp_path):
    # ViT (96x96 images, 16x16 patches, 512 hidden, 2 blocks) trained 1 epoch instead of 10
    # by minibatch SGD on the 512-image Fashion-MNIST stand-in (4 steps) and validated on its
    # 256 images. Measured: 1.3e-7 relative; band 1e-5 / 1e-6.
    g, t = outputs("vision_transformer", tmp_path)
    assert g.count("=== figure") == t.count("=== figure") == 1   # the training board
    assert_same_before_and_after(g, t, 7, rel=1e-5, abs=1e-6)
