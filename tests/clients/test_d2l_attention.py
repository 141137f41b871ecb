"""d2l-en's chapter_attention-mechanisms-and-transformers: the PyTorch cells of each section,
extracted verbatim by d2l/extract.py, run on glasstorch (through the import alias, as
`glasstorch exec` runs them) and on real torch with the shared random stream of _bridge.py,
and their output compared.

Most cells of this chapter print nothing: their result is a plot (`d2l.plot`,
`d2l.show_heatmaps`) or the training curves of d2l's ProgressBoard. d2l/with_figures.py runs
the chapter and then prints every open figure's labels, line data and heatmap pixels, so those
are compared number by number too.

Where nothing trains, every number agrees to 1e-6. Training (transformer, bahdanau-attention,
vision-transformer, with the epoch/size edits of EDITS.md) is compared within the bands written
at each test, with the reason and the measured figures. large-pretraining-transformers has no
code.
"""
import os

import pytest

import d2l_harness
from test_clients import run

HERE = os.path.dirname(os.path.abspath(__file__))


def outputs(chapters, tmp_path, timeout=900):
    """The chapters' printed output and figures on glasstorch and on torch (one process each,
    chapter after chapter), as {chapter: (glasstorch's, torch's)}."""
    chapters = chapters.split()
    out = {}
    for fw in ("glasstorch", "torch"):
        work = d2l_harness.setup_data(str(tmp_path / fw))
        text = run(fw, "d2l/with_figures.py", "--each",
                   *[os.path.join(HERE, "d2l", f"{c}.py") for c in chapters],
                   cwd=work, timeout=timeout)
        parts = text.split("##### ")[1:]
        assert [p.split("\n", 1)[0] for p in parts] == [f"{c}.py" for c in chapters], text
        out[fw] = parts
    return {c: (g, t) for c, g, t in zip(chapters, out["glasstorch"], out["torch"])}


# number of figures each chapter draws
EXACT = {"queries_keys_values": 1,                       # show_heatmaps of eye(10)
         "attention_pooling": 5,                         # kernels; Nadaraya-Watson fits, heatmaps
         "attention_scoring_functions": 2,               # masked_softmax printed; two heatmaps
         "multihead_attention": 0,                       # shape checks only
         "self_attention_and_positional_encoding": 2}    # encoding curves and heatmap


def test_d2l_attention_exact(tmp_path):
    # nothing trains in these five sections: every printed and plotted number to 1e-6
    for chapter, (g, t) in outputs(" ".join(EXACT), tmp_path).items():
        figures = EXACT[chapter]
        assert g.count("=== figure") == t.count("=== figure") == figures, (chapter, g[-3000:])
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
    # on d2l_harness's stand-in pairs, dropout 0.2 through the shared stream), the greedy
    # translations (printed token by token: identical) and the encoder/decoder attention
    # heatmaps. Training is float32 and Adam divides by sqrt(v): gradients a few ulps apart
    # move a weight by up to lr per step, so the runs drift apart, and the trained attention
    # (softmax of logits scaled up by training) magnifies it. Measured: losses 8e-5 relative
    # (band 1e-3); attention weights 0.018 apart at most (1e-4 in an earlier run, before
    # other changes shifted both trajectories; band 0.05: a wrong mask or head split moves
    # weight by far more).
    g, t = outputs("transformer", tmp_path)["transformer"]
    assert g.count("=== figure") == t.count("=== figure") == 4   # board + 3 heatmap grids
    marker = "=== figure 2:"                                     # the heatmaps after the board
    (g0, g1), (t0, t1) = g.split(marker, 1), t.split(marker, 1)
    assert_same_before_and_after(g0, t0, 13, rel=1e-3, abs=1e-3)
    (lg, ng), (lt, nt) = d2l_harness.normalized(g1), d2l_harness.normalized(t1)
    assert lg == lt and len(ng) == len(nt) > 900
    assert max(abs(a - b) for a, b in zip(ng, nt)) <= 0.05


def test_d2l_bahdanau_attention(tmp_path):
    # Seq2seq with additive attention (GRU encoder/decoder, dropout 0.2 between GRU layers:
    # the bridge runs torch's GRU layer by layer so both draw that mask from the shared
    # stream), trained 1 epoch instead of 30 (4 Adam steps), then translations and the
    # attention heatmap. Measured: every number within 1e-6 (2 epochs: 3e-6 relative); band
    # 1e-4 relative / 1e-5 absolute for Adam's drift (see the transformer).
    g, t = outputs("bahdanau_attention", tmp_path)["bahdanau_attention"]
    assert g.count("=== figure") == t.count("=== figure") == 2   # board + heatmap
    assert_same_before_and_after(g, t, 4, rel=1e-4, abs=1e-5)


def test_d2l_vision_transformer(tmp_path):
    # ViT (16x16 patches, 512 hidden, 2 blocks) trained 1 epoch instead of 10 by minibatch
    # SGD on the 512-image Fashion-MNIST stand-in (4 steps), validated on its 256 images, at
    # 32x32 instead of the book's 96x96 so that it fits CI's time (at 96x96: 1.3e-7 relative
    # apart). Measured: every number within 1e-6; band 1e-5 relative / 1e-6 absolute.
    g, t = outputs("vision_transformer", tmp_path)["vision_transformer"]
    assert g.count("=== figure") == t.count("=== figure") == 1   # the training board
    assert_same_before_and_after(g, t, 7, rel=1e-5, abs=1e-6)


@pytest.mark.slow
def test_d2l_vision_transformer_book_size(tmp_path):
    # the size edit undone (a temporary copy at the book's 96x96): 37 tokens of 512 features
    # through the 2 blocks, 1 epoch. Measured: 1.3e-7 relative; band 1e-5 / 1e-6.
    edited = "img_size, patch_size = 32, 16  # EDIT: was 96, 16"
    with open(os.path.join(HERE, "d2l", "vision_transformer.py")) as f:
        source = f.read()
    assert source.count(edited) == 1
    script = tmp_path / "vision_transformer_96.py"
    script.write_text(source.replace(edited, "img_size, patch_size = 96, 16"))
    out = {}
    for fw in ("glasstorch", "torch"):
        work = d2l_harness.setup_data(str(tmp_path / fw))
        out[fw] = run(fw, "d2l/with_figures.py", str(script), cwd=work, timeout=1800)
    g, t = out["glasstorch"], out["torch"]
    assert g.count("=== figure") == t.count("=== figure") == 1
    assert_same_before_and_after(g, t, 7, rel=1e-5, abs=1e-6)
