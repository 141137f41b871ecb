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
