"""The LSTM layers at 2-3 threads (ops/rnn_layers.py `_time_loop`: the per-step GEMMs on one
BLAS thread when small, on OpenBLAS's threads when LOOP_THREADED_MNK is lowered below them): the
same comparisons with torch as test_rnn.py (padded, packed, bidirectional, projections,
float32)."""
import pytest

import test_rnn as base
from glasstorch.backend import threads
from glasstorch.ops import rnn_layers


@pytest.fixture(autouse=True, params=[(2, False), (3, False), (2, True)],
                ids=["2threads", "3threads", "2threads-blas"])
def split_rows(request, monkeypatch):
    n, blas = request.param
    if blas:
        monkeypatch.setattr(rnn_layers, "LOOP_THREADED_MNK", 0)
    before = threads.get_num_threads()
    threads.set_num_threads(n)
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
