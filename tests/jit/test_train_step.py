"""jit.trace_train_step: 50 replayed steps leave the parameters bit-identical to eager training."""
import numpy as np
import pytest

import glasstorch as gt
import glasstorch.jit as jit
from glasstorch import nn


def _lenet():
    return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(6, 16, 5), nn.Sigmoid(), nn.AvgPool2d(2), nn.Flatten(),
                         nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 10))


def _mlp():
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 10))


def _seq():
    return nn.Sequential(nn.Linear(6, 8), nn.LayerNorm(8), nn.GELU(), nn.Linear(8, 3))


@pytest.mark.parametrize("make, shape, opt", [
    (_mlp, (16, 1, 28, 28), lambda p: gt.optim.SGD(p, lr=0.1, momentum=0.9)),
    (_lenet, (8, 1, 28, 28), lambda p: gt.optim.Adam(p, lr=1e-3)),
    (_seq, (4, 6), lambda p: gt.optim.AdamW(p, lr=1e-2)),
])
def test_fifty_steps_bit_identical_to_eager(make, shape, opt):
    gt.manual_seed(0)
    eager, traced = make(), make()
    traced.load_state_dict(eager.state_dict())
    opt_e, opt_t = opt(eager.parameters()), opt(traced.parameters())
    loss_fn = nn.CrossEntropyLoss()
    rng = np.random.default_rng(0)
    batches = [(gt.tensor(rng.standard_normal(shape).astype(np.float32)),
                gt.tensor(rng.integers(0, 3, shape[0]))) for _ in range(5)]
    step = jit.trace_train_step(traced, loss_fn, opt_t, batches[0])
    for i in range(50):
        x, y = batches[i % 5]
        opt_e.zero_grad()
        loss_e = loss_fn(eager(x), y)
        loss_e.backward()
        opt_e.step()
        loss_t = step(x, y)
        assert loss_t.item() == loss_e.item()
    for (name, a), b in zip(eager.state_dict().items(), traced.state_dict().values()):
        assert np.array_equal(a.numpy(), b.numpy()), name


def test_refuses_dropout_and_training_batch_norm():
    x, y = gt.randn(4, 3), gt.tensor([0, 1, 0, 1])
    for m in (nn.Sequential(nn.Linear(3, 2), nn.Dropout(0.5)),
              nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))):
        with pytest.raises(NotImplementedError, match="trace_train_step"):
            jit.trace_train_step(m, nn.CrossEntropyLoss(), gt.optim.SGD(m.parameters(), 0.1),
                                 (x, y))
