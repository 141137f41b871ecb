"""onnx.export: checked ONNX models whose onnxruntime outputs equal glasstorch's (1e-4), with a
dynamic batch axis, for the zoo, an MLP, recurrent LMs, a Transformer encoder and BERT."""
import io
import sys
import os

import numpy as np
import pytest

import glasstorch as gt
import glasstorch.onnx as gonnx
from glasstorch import nn
from glasstorch._registry import OPS
from glasstorch.onnx.symbolic import SYMBOLICS

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "jit"))
from jit_zoo import zoo_instance, zoo_models  # noqa: E402


def _parity(model, example, new, names, path, atol=1e-4):
    """Export with every input's dim 0 dynamic; run `new` (another batch size) in both."""
    names = list(names)
    outs = [f"out{i}" for i in range(8)]
    gonnx.export(model, example, str(path), input_names=names, output_names=outs,
                 dynamic_axes={n: {0: "batch"} for n in names})
    proto = onnx.load(str(path))
    onnx.checker.check_model(proto, full_check=True)
    assert proto.opset_import[0].version == 17 and proto.ir_version == 8
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = sess.run(None, {n: x.numpy() for n, x in zip(names, new)})
    with gt.no_grad():
        ref = model(*new)
    ref = list(_leaves(ref))
    assert len(got) == len(ref)
    for g, r in zip(got, ref):
        assert g.shape == tuple(r.shape)
        np.testing.assert_allclose(g, r.numpy(), rtol=1e-4, atol=atol)


def _leaves(out):
    if isinstance(out, gt.Tensor):
        yield out
    else:
        for o in out:
            yield from _leaves(o)


@pytest.mark.parametrize("name", zoo_models())
def test_zoo_model_parity(name, tmp_path):
    model, x = zoo_instance(name, batch=3)
    _parity(model, (x,), (gt.randn(5, *x.shape[1:]),), ["input"], tmp_path / "m.onnx")


def test_mlp_parity(tmp_path):
    gt.manual_seed(0)
    mlp = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Dropout(0.5),
                        nn.Linear(256, 10)).eval()
    _parity(mlp, (gt.randn(3, 1, 28, 28),), (gt.randn(1, 1, 28, 28),), ["input"],
            tmp_path / "mlp.onnx")


@pytest.mark.parametrize("rnn_type", ["lstm", "gru", "rnn"])
def test_recurrent_language_model_parity(rnn_type, tmp_path):
    from glasstorch.text.models.rnn_lm import RNNLM
    gt.manual_seed(0)
    lm = RNNLM(30, 16, num_layers=2, rnn_type=rnn_type, embed_size=8).eval()
    _parity(lm, (gt.randint(0, 30, (3, 7)),), (gt.randint(0, 30, (4, 7)),), ["tokens"],
            tmp_path / "lm.onnx")


def test_transformer_encoder_parity(tmp_path):
    gt.manual_seed(0)
    layer = nn.TransformerEncoderLayer(16, 4, 32, batch_first=True, activation="gelu")
    enc = nn.TransformerEncoder(layer, 2).eval()
    _parity(enc, (gt.randn(3, 7, 16),), (gt.randn(6, 7, 16),), ["x"], tmp_path / "enc.onnx")


def test_bert_encoder_parity(tmp_path):
    from glasstorch.text.models.bert import BERTEncoder
    gt.manual_seed(0)
    bert = BERTEncoder(30, 16, 32, 4, 2, max_len=20).eval()
    example = (gt.randint(0, 30, (3, 7)), gt.zeros(3, 7, dtype=gt.long))
    new = (gt.randint(0, 30, (5, 7)), gt.ones(5, 7, dtype=gt.long))
    _parity(bert, example, new, ["tokens", "segments"], tmp_path / "bert.onnx")


_ELEMENTWISE = [
    lambda x: (x.abs() + 1).log() * x.sigmoid() - x.tanh() / 3 + x.exp().sqrt(),
    lambda x: x.clamp(-0.5, 0.7) + x.square() + (x.abs() + 1).rsqrt() + x.erf(),
    lambda x: nn.functional.gelu(x) + nn.functional.silu(x) + nn.functional.elu(x) +
    nn.functional.leaky_relu(x, 0.1) + nn.functional.softplus(x, 2.0) +
    nn.functional.hardswish(x) + nn.functional.mish(x) + nn.functional.relu6(x),
    lambda x: x.softmax(-1) + x.log_softmax(1) + x.sum(1, keepdim=True) + x.mean(0) +
    x.var(1, keepdim=True) + x.amax(-1, keepdim=True) + x.logsumexp(1, keepdim=True),
    lambda x: x[:, 1:3].flip(1).repeat(1, 2) + x.t()[:4].T.mT.mT[:, None, :].squeeze(1),
    lambda x: gt.cat([x, x * 2], 1).reshape(-1, 4, 4).permute(0, 2, 1).flatten(1)[:, :8] +
    gt.stack([x, x], 0).sum(0)[:, :8] + x.unsqueeze(1).expand(-1, 3, -1).sum(1)[:, :8],
    lambda x: nn.functional.pad(x[None], (1, 2), mode="reflect")[0] @ gt.ones(11, 4) +
    x.remainder(0.3)[:, :4] + nn.functional.threshold(x[:, :4], 0.1, -2.0).cumsum(1),
    lambda x: gt.add(x, x.exp(), alpha=2.5) - gt.sub(x.sin(), x, alpha=-3) + gt.rsub(x, x.cos(), alpha=2),
]


@pytest.mark.parametrize("i", range(len(_ELEMENTWISE)))
def test_op_mappings_parity(i, tmp_path):
    gt.manual_seed(i)
    fn = _ELEMENTWISE[i]
    _parity(fn, (gt.randn(3, 8),), (gt.randn(3, 8),), ["x"], tmp_path / "f.onnx")


def test_unmapped_op_raises_a_clear_error(tmp_path):
    with pytest.raises(gonnx.UnsupportedOperatorError,
                       match=r"^op cumprod has no ONNX mapping \(opset 17\)$"):
        gonnx.export(lambda x: x.cumprod(0), (gt.randn(3),), str(tmp_path / "f.onnx"))


def test_symbolics_are_registered_ops():
    assert set(SYMBOLICS) <= set(OPS)
    assert len(SYMBOLICS) >= 120


def test_opset_choice_and_file_object(tmp_path):
    m = nn.Sequential(nn.Linear(4, 3), nn.LayerNorm(3)).eval()
    buf = io.BytesIO()
    gonnx.export(m, gt.randn(2, 4), buf, opset_version=18)
    proto = onnx.load_from_string(buf.getvalue())
    assert proto.opset_import[0].version == 18
    with pytest.raises(ValueError, match="opset_version must be between 17 and"):
        gonnx.export(m, gt.randn(2, 4), buf, opset_version=11)


def test_export_uses_eval_mode_by_default(tmp_path):
    gt.manual_seed(0)
    m = nn.Sequential(nn.Linear(4, 4), nn.BatchNorm1d(4), nn.Dropout(0.5))   # training mode
    x = gt.randn(3, 4)
    gonnx.export(m, x, str(tmp_path / "m.onnx"))
    assert m.training
    sess = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    m.eval()
    with gt.no_grad():
        np.testing.assert_allclose(sess.run(None, {"x": x.numpy()})[0], m(x).numpy(),
                                   rtol=1e-4, atol=1e-5)


def test_training_mode_enum_matches_torch():
    torch = pytest.importorskip("torch")
    for name in ("EVAL", "PRESERVE", "TRAINING"):
        assert int(getattr(gonnx.TrainingMode, name)) == int(getattr(torch.onnx.TrainingMode, name))


@pytest.mark.parametrize("mode", ["TRAINING", "PRESERVE"])
def test_training_mode_keeps_batch_norm_in_training(mode, tmp_path):
    # TrainingMode.TRAINING / PRESERVE on a training model: BatchNorm normalizes with the batch's
    # statistics in the exported graph (EVAL, the default, uses the running ones)
    gt.manual_seed(0)
    m = nn.Sequential(nn.Linear(4, 4), nn.BatchNorm1d(4))
    x = gt.randn(8, 4) * 3 + 1
    with pytest.warns(Warning):
        gonnx.export(m, x, str(tmp_path / "m.onnx"), training=getattr(gonnx.TrainingMode, mode))
    assert m.training
    sess = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    with gt.no_grad():
        np.testing.assert_allclose(sess.run(None, {"x": x.numpy()})[0], m(x).numpy(),
                                   rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("opset", [18, 21, onnx.defs.onnx_opset_version()])
def test_newer_opsets_run_in_onnxruntime(opset, tmp_path):
    model, x = zoo_instance("resnet_small", batch=2)
    enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, batch_first=True), 1).eval()
    for m, inp in ((model, x), (enc, gt.randn(2, 5, 8))):
        gonnx.export(m, inp, str(tmp_path / "m.onnx"), opset_version=opset)
        proto = onnx.load(str(tmp_path / "m.onnx"))
        assert proto.opset_import[0].version == opset
        sess = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
        with gt.no_grad():
            np.testing.assert_allclose(sess.run(None, {"x": inp.numpy()})[0], m(inp).numpy(),
                                       rtol=1e-4, atol=1e-5)
