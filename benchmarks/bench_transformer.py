"""A 2-layer TransformerEncoder training step (d_model 128, 4 heads, feed-forward 512, batch 32,
sequence 35; forward, MSE loss, backward, Adam step), glasstorch vs torch, same weights and
inputs, dropout 0.1. Target: glasstorch's time per step within 2x of torch's (>= 0.5x its
throughput).

glasstorch's attention is one fused op (ops/attention.py: two batched matmuls and the softmax
forward, four matmuls and softmax's closed-form gradient backward), the projections and
feed-forward layers are the fused linear op, LayerNorm its fused op.
Run: benchmarks/run.sh bench_transformer  (or: python benchmarks/bench_transformer.py)
"""
import numpy as np
import torch

import glasstorch as gt
from harness import compare, environment_report, report

TARGET = 2.0
D_MODEL, HEADS, FF, LAYERS, BATCH, SEQ = 128, 4, 512, 2, 32, 35


def make(lib, state):
    layer = lib.nn.TransformerEncoderLayer(D_MODEL, HEADS, FF, dropout=0.1)
    model = lib.nn.TransformerEncoder(layer, LAYERS, enable_nested_tensor=False)
    model.load_state_dict({k: lib.tensor(v) for k, v in state.items()})
    return model, lib.optim.Adam(model.parameters(), lr=1e-3)


def step(lib, model, opt, x, target):
    opt.zero_grad()
    loss = lib.nn.functional.mse_loss(model(x), target)
    loss.backward()
    opt.step()
    return loss


def main():
    environment_report()
    rng = np.random.default_rng(0)
    ref = torch.nn.TransformerEncoder(
        torch.nn.TransformerEncoderLayer(D_MODEL, HEADS, FF), LAYERS, enable_nested_tensor=False)
    state = {k: v.numpy() for k, v in ref.state_dict().items()}
    x = rng.standard_normal((SEQ, BATCH, D_MODEL)).astype(np.float32)
    y = rng.standard_normal((SEQ, BATCH, D_MODEL)).astype(np.float32)
    g_model, g_opt = make(gt, state)
    t_model, t_opt = make(torch, state)
    gx, gy, tx, ty = gt.tensor(x), gt.tensor(y), torch.tensor(x), torch.tensor(y)

    # same loss in eval mode (no dropout) before timing
    g_model.eval(), t_model.eval()
    gl = gt.nn.functional.mse_loss(g_model(gx), gy).item()
    tl = torch.nn.functional.mse_loss(t_model(tx), ty).item()
    np.testing.assert_allclose(gl, tl, rtol=1e-4)
    g_model.train(), t_model.train()

    times = compare({"glasstorch": lambda: step(gt, g_model, g_opt, gx, gy),
                     "torch": lambda: step(torch, t_model, t_opt, tx, ty)},
                    number=5, rounds=7)
    ratio = report(f"TransformerEncoder {LAYERS}x(d={D_MODEL}, h={HEADS}, ff={FF}), batch "
                   f"{BATCH}x{SEQ}: train step (fwd+loss+bwd+Adam)", times, TARGET)
    print(f"  throughput glasstorch/torch = {1 / ratio:.2f}x (target >= {1 / TARGET:.2f}x)")


if __name__ == "__main__":
    main()
