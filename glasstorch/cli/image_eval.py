"""`glasstorch eval` and `glasstorch predict` (their parsers are in image.py, with train's).

    eval     loss, accuracy and per-class accuracy of a run (or checkpoint) on its dataset's
             test split
    predict  the top classes with probabilities for image files: PNG/JPEG/... through Pillow,
             .npy arrays without it; an .onnx file from `glasstorch export` runs in onnxruntime
"""
import numpy as np

import glasstorch as torch
from glasstorch.utils.data import DataLoader, Subset
from glasstorch.vision.transforms import functional as TF

from . import checks
from .common import CLIError
from .image_data import _dataset_spec, _load_run, _load_split, _test, _transform


def evaluate(args):
    """Loss, accuracy and per-class accuracy of a trained run on its dataset's test split."""
    checks.at_least("batch_size", args.batch_size)
    checks.at_least("limit", args.limit)
    model, run, path = _load_run(args.checkpoint)
    spec = _dataset_spec(run["dataset"])
    root = args.data_root if args.data_root is not None else run["data_root"]
    test = _load_split(spec, root, False, _transform(spec, run["input_shape"][1]),
                       args.download)
    if args.limit:
        test = Subset(test, range(min(args.limit, len(test))))
    result = _test(model, DataLoader(test, batch_size=args.batch_size), len(run["classes"]))
    print(f"{path}: {run['model']} on {run['dataset']} test split ({result['samples']} "
          f"images)")
    print(f"accuracy {100 * result['acc']:.2f}%  loss {result['loss']:.4f}")
    for i, (name, row) in enumerate(zip(run["classes"], result["confusion_matrix"])):
        if sum(row):     # row i: the test images of class i, column i: the correct ones
            print(f"  {name:<16} {100 * row[i] / sum(row):6.2f}%  ({row[i]}/{sum(row)})")
    return 0


def _why(e):
    """An OSError's reason without its errno and path ('Is a directory'), else its message."""
    return e.strerror if isinstance(e, OSError) and e.strerror else str(e)


def _read_image(path, channels):
    """An image file as a float tensor (channels, H, W) in [0, 1]: PNG/JPEG/... through
    Pillow (converted to grayscale or RGB as the model needs), or a .npy array (H, W),
    (H, W, C) or (C, H, W), uint8 0..255 or float in [0, 1]."""
    if path.lower().endswith(".npy"):
        try:
            a = np.load(path, allow_pickle=False)
        except EOFError:                                     # np.load of an empty file
            raise CLIError(f"cannot read image {path}: the file is empty") from None
        except (OSError, ValueError) as e:
            raise CLIError(f"cannot read image {path}: {_why(e)}") from None
        checks.image_array(a, path)
        if a.ndim == 2:
            a = a[None]
        elif a.ndim == 3 and a.shape[-1] in (1, 3, 4) and a.shape[0] not in (1, 3, 4):
            a = a.transpose(2, 0, 1)                         # HWC -> CHW
        if a.ndim != 3 or a.shape[0] not in (1, 3, 4):
            raise CLIError(f"cannot read image {path}: expected an array (H, W), (H, W, C) or "
                           f"(C, H, W) with C in 1, 3, 4; got shape {a.shape}")
        x = torch.tensor(a.astype("float32") / (255.0 if a.dtype.kind in "ui" else 1.0))
        x = x[:3]                                            # drop alpha
        if x.shape[0] != channels:
            x = x.mean(0, keepdim=True) if channels == 1 else x.expand(channels, -1, -1)
        return x
    try:
        from PIL import Image, UnidentifiedImageError
    except ImportError:
        raise CLIError("reading image files needs Pillow (pip install pillow); .npy arrays "
                       "work without it") from None
    try:
        with Image.open(path) as img:
            img = img.convert("L" if channels == 1 else "RGB")
    except (OSError, UnidentifiedImageError, Image.DecompressionBombError) as e:
        raise CLIError(f"cannot read image {path}: {_why(e)}") from None
    return TF.to_tensor(img)


def predict(args):
    """Top-k classes with probabilities for each image."""
    if args.top_k < 1:
        raise CLIError(f"--top-k must be >= 1, got {args.top_k}")
    if str(args.checkpoint).endswith(".onnx"):
        return _predict_onnx(args)
    model, run, path = _load_run(args.checkpoint)
    c, h, w = run["input_shape"]
    batch = []
    for image in args.images:
        x = _read_image(image, c)
        if tuple(x.shape[1:]) != (h, w):
            x = TF.resize(x, [h, w], antialias=True)
        batch.append(TF.normalize(x, run["mean"], run["std"]))
    with torch.no_grad():
        probs = checks.finite_outputs(torch.softmax(model(torch.stack(batch)), dim=1),
                                      "the model's class probabilities")
    k = min(args.top_k, probs.shape[1])
    top_p, top_i = probs.topk(k, dim=1)
    for image, ps, idx in zip(args.images, top_p.tolist(), top_i.tolist()):
        best = f"{run['classes'][idx[0]]} ({100 * ps[0]:.1f}%)"
        others = ", ".join(f"{run['classes'][i]} {100 * p:.1f}%"
                           for p, i in zip(ps[1:], idx[1:]))
        print(f"{image}: {best}" + (f"   next: {others}" if others else ""))
    return 0


def _predict_onnx(args):
    """predict from an .onnx file written by `glasstorch export`: onnxruntime runs the model,
    the file's metadata gives the classes and normalization; the output is predict's."""
    from ..onnx.deploy import predict_files
    try:
        lines = predict_files(args.checkpoint, args.images, _read_image, args.top_k)
    except ImportError as e:
        raise CLIError(str(e)) from None
    except ValueError as e:
        raise CLIError(str(e)) from None
    print("\n".join(lines))
    return 0
