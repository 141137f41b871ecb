"""d2l-en's recurrent chapters (chapter_recurrent-neural-networks, chapter_recurrent-modern):
their PyTorch cells (tests/clients/d2l/*.py, extracted by extract.py, edits in EDITS.md) run
on glasstorch through the import alias and on torch 2.13, both on the shared random stream of
_bridge.py (same initial weights, batches and dropout masks), and the printed outputs agree.

The Time Machine and the English-French stand-in are set up by d2l_harness.setup_data.
"""
import pytest

from d2l_harness import assert_same_output, normalized, run_chapter


def test_machine_translation_and_dataset(tmp_path):
    # data only: the stand-in's text, tokens, vocabularies and a first shuffled batch
    g, t = run_chapter("machine_translation_and_dataset", tmp_path)
    assert_same_output(g, t)
    assert "source: tensor([[" in g and "['go', '.', '<eos>']" in g
