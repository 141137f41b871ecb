"""A traced training step refuses inputs of another dtype than traced, as it refuses another
shape: eager (and torch) raise on a float64 batch for a float32 model, or int32 class targets,
where the replay ran them silently (float64 arithmetic into float32 parameters)."""
import numpy as np
import pytest

import glasstorch as gt
from glasstorch import nn


def _step():
    gt.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 3))
    opt = gt.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x = gt.tensor(np.random.default_rng(0).standard_normal((4, 8)).astype(np.float32))
    y = gt.tensor(np.array([0, 2, 1, 2]))
    return model, gt.jit.trace_train_step(model, nn.CrossEntropyLoss(), opt, (x, y)), x, y


@pytest.mark.parametrize("which, dtype", [(0, np.float64), (0, np.float16), (1, np.int32)])
def test_other_dtype_is_refused_before_any_update(which, dtype):
    model, step, x, y = _step()
    before = [p.detach().numpy().copy() for p in model.parameters()]
    batch = [x, y]
    batch[which] = gt.tensor(batch[which].numpy().astype(dtype))
    with pytest.raises(RuntimeError, match=f"input {which} was traced with dtype "
                                           f".*, got {np.dtype(dtype).name}"):
        step(*batch)
    for p, b in zip(model.parameters(), before):
        assert p.detach().numpy().tobytes() == b.tobytes()
    step(x, y)                                # the traced dtypes still run
