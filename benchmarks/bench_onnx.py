"""Deployment latency: the exported LeNet (d2l 7.6) in onnxruntime beside eager glasstorch, the
traced glasstorch replay and torch eager, at batch 1 and 64, inference under no_grad.
Information, not a target: what a user gains by serving the .onnx file.
Run: benchmarks/run.sh bench_onnx  (or: python benchmarks/bench_onnx.py)
"""
import os
import statistics
import tempfile

import time

import numpy as np
import onnxruntime as ort
import torch

import glasstorch as gt
import glasstorch.jit as jit
import glasstorch.onnx as gonnx
from harness import compare, environment_report


def lenet(lib):
    nn = lib.nn
    return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
                         nn.Linear(84, 10))


def main():
    environment_report()
    torch.set_num_threads(1)        # both frameworks on one BLAS thread: batch 1 is latency
    from threadpoolctl import threadpool_limits
    threadpool_limits(1)
    g_model, t_model = lenet(gt).eval(), lenet(torch).eval()
    t_model.load_state_dict({k: torch.tensor(v.numpy()) for k, v in g_model.state_dict().items()})
    path = os.path.join(tempfile.mkdtemp(), "lenet.onnx")
    gonnx.export(g_model, gt.zeros(1, 1, 28, 28), path, input_names=["input"],
                 dynamic_axes={"input": {0: "batch"}})
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    sess = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    print(f"\nLeNet inference latency (median of 7 rounds, ms per call; 1 thread each)")
    print(f"  {'batch':>5}{'onnxruntime':>14}{'glasstorch':>12}{'traced':>10}{'torch':>10}")
    for batch, number in ((1, 200), (64, 20)):
        x = rng.standard_normal((batch, 1, 28, 28)).astype(np.float32)
        gx, tx = gt.tensor(x), torch.tensor(x)
        traced = jit.optimize_for_inference(jit.trace(g_model, gx))
        with gt.no_grad(), torch.no_grad():
            ref = g_model(gx).numpy()
            np.testing.assert_allclose(sess.run(None, {"input": x})[0], ref, rtol=1e-4,
                                       atol=1e-5)
            times = compare({"onnxruntime": lambda: sess.run(None, {"input": x}),
                             "glasstorch": lambda: g_model(gx), "traced": lambda: traced(gx),
                             "torch": lambda: t_model(tx)}, number=number, rounds=7,
                            timer=time.process_time)
        med = {k: statistics.median(v) * 1e3 for k, v in times.items()}
        print(f"  {batch:>5}{med['onnxruntime']:>14.3f}{med['glasstorch']:>12.3f}"
              f"{med['traced']:>10.3f}{med['torch']:>10.3f}")


if __name__ == "__main__":
    main()
