"""Deployment helpers: a trained run as a self-describing .onnx file, and predictions from it.

`export_run` writes the model (eval mode, dynamic batch axis, input "input", output "logits")
and stores what prediction needs in the model's metadata_props, as JSON strings:

    glasstorch.classes       ["0", "1", ...]       glasstorch.input_shape  [C, H, W]
    glasstorch.mean / .std   per-channel normalization of the inputs

so examples/deploy_onnx.py (onnxruntime + NumPy + Pillow, no glasstorch) and `glasstorch
predict model.onnx digit.png` can both serve it. `predict_probabilities` runs onnxruntime.
"""
import json

import numpy as np

from . import _onnx, export
from ..creation import zeros as _zeros

__all__ = ["export_run", "read_metadata", "predict_probabilities", "METADATA_KEYS"]

METADATA_KEYS = ("classes", "input_shape", "mean", "std", "model")


def export_run(model, run, path, opset_version=None):
    """Export `model` (as rebuilt from a `glasstorch train` run) with the run's metadata."""
    onnx = _onnx()[0]
    model.eval()
    c, h, w = run["input_shape"]
    export(model, (_zeros(2, c, h, w),), str(path), input_names=["input"],
           output_names=["logits"], opset_version=opset_version,
           dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
    proto = onnx.load(str(path))
    meta = {"classes": list(run["classes"]), "input_shape": [c, h, w],
            "mean": list(run["mean"]), "std": list(run["std"]), "model": run["model"]}
    for key, value in meta.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = f"glasstorch.{key}", json.dumps(value)
    onnx.save(proto, str(path))
    return meta


def read_metadata(path):
    """The glasstorch.* metadata of an .onnx file written by export_run (ValueError if absent)."""
    onnx = _onnx()[0]
    try:
        proto = onnx.load(str(path), load_external_data=False)
    except Exception as e:  # onnx raises DecodeError & co. for foreign files
        raise ValueError(f"cannot read ONNX model {path}: {e}") from None
    props = {p.key[len("glasstorch."):]: json.loads(p.value) for p in proto.metadata_props
             if p.key.startswith("glasstorch.")}
    missing = [k for k in METADATA_KEYS if k not in props]
    if missing:
        raise ValueError(f"{path} has no glasstorch metadata ({', '.join(missing)}): export it "
                         "with `glasstorch export RUN model.onnx`")
    return props


def predict_probabilities(path, batch):
    """Softmax probabilities (N, classes) of normalized images `batch` (N, C, H, W) float32,
    computed by onnxruntime."""
    try:
        import onnxruntime as ort
    except ImportError:
        raise ImportError("predicting from .onnx needs onnxruntime: pip install "
                          "'glasstorch[onnx]'") from None
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (logits,) = sess.run(None, {sess.get_inputs()[0].name: np.ascontiguousarray(batch,
                                                                                 np.float32)})
    z = logits - logits.max(1, keepdims=True)     # a stable softmax
    e = np.exp(z)
    return e / e.sum(1, keepdims=True)


def top_k_lines(names, probs, classes, top_k):
    """`glasstorch predict`'s lines: "digit.png: 7 - seven (98.5%)   next: 1 - one 0.9%"."""
    k = min(top_k, probs.shape[1])
    lines = []
    for name, p in zip(names, probs):
        idx = np.argsort(-p, kind="stable")[:k]
        best = f"{classes[idx[0]]} ({100 * p[idx[0]]:.1f}%)"
        others = ", ".join(f"{classes[i]} {100 * p[i]:.1f}%" for i in idx[1:])
        lines.append(f"{name}: {best}" + (f"   next: {others}" if others else ""))
    return lines


def predict_files(path, images, read_image, top_k=3):
    """Lines of `glasstorch predict model.onnx IMAGE...`: each image read by
    read_image(file, channels) -> (C, H, W) Tensor in [0, 1], resized and normalized with the
    file's metadata, classified by onnxruntime."""
    from ..vision.transforms import functional as TF
    meta = read_metadata(path)
    c, h, w = meta["input_shape"]
    batch = []
    for image in images:
        x = read_image(image, c)
        if tuple(x.shape[1:]) != (h, w):
            x = TF.resize(x, [h, w], antialias=True)
        batch.append(TF.normalize(x, meta["mean"], meta["std"]).numpy())
    probs = predict_probabilities(path, np.stack(batch))
    return top_k_lines(images, probs, meta["classes"], top_k)
