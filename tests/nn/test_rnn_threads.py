"""The LSTM layer's time loop split over the batch rows on 2 threads (ops/rnn.py _batch_rows):
the same comparisons with torch as test_rnn.py (padded, packed, bidirectional, projections,
float32), run with the pool's threshold lowered so that every layer is split."""
import pytest

import test_rnn as base
from glasstorch.backend import threads


@pytest.fixture(autouse=True, params=[2, 3])
def split_rows(request, monkeypatch):
    monkeypatch.setattr(threads, "THRESHOLD", 1)
    before = threads.get_num_threads()
    threads.set_num_threads(request.param)
    yield
    threads.set_num_threads(before)


@pytest.mark.parametrize("mode,kw,kind", [
    ("LSTM", {"num_layers": 2, "bidirectional": True}, "padded"),
    ("LSTM_PROJ", {"num_layers": 2, "batch_first": True}, "packed"),
    ("LSTM", {}, "unbatched"),
])
def test_lstm_rows_split(mode, kw, kind):
    tm, gm = base._modules(mode, "float32", **kw)
    base._compare(tm, gm, kind, "float32")
    tm, gm = base._modules(mode, **kw)
    base._compare(tm, gm, kind)


def test_lstm_packed_sorted_rows_split():
    base.test_packed_already_sorted("LSTM_PROJ")
