"""What `train`, `eval`, `predict` and `summary` share about image data and the zoo: the
datasets the CLI knows (DATASETS: class, image shape, normalization), their transforms and
splits, building a zoo model, and reading a run folder or checkpoint back (`_load_run`).
A checkpoint written by `train` holds the Trainer's state and a "run" dict (model name and
constructor kwargs, dataset, class names, normalization), so eval/predict rebuild the model.
"""
import os

import glasstorch as torch
from glasstorch.train import Accuracy, ConfusionMatrix
from glasstorch.vision import datasets, models, transforms as T

from .common import CLIError


class _Dataset:
    """What the CLI needs to know about a dataset: its class, image shape and the mean/std
    that Normalize uses (per channel, from the training split)."""

    def __init__(self, name, factory, shape, mean, std, augment):
        self.name, self.factory, self.shape = name, factory, shape
        self.mean, self.std, self.augment = mean, std, augment


def _vision_dataset(cls_name):
    def factory(root, train, transform, download):
        cls = getattr(datasets, cls_name)
        if root is None and cls_name == "MNIST":
            return cls(None, train=train, transform=transform)     # the bundled 5k subset
        root = root or "data"
        try:
            return cls(root, train=train, transform=transform, download=download)
        except RuntimeError as e:
            if "not found" not in str(e).lower() or download:
                raise
            raise CLIError(f"{cls_name} not found under {os.path.abspath(root)}: add "
                           "--download to fetch it, or point --data-root at it") from None
    return factory


def _fakedata(root, train, transform, download):
    # a distinct random_offset keeps the test images different from the training ones
    return datasets.FakeData(size=1000 if train else 200, image_size=(3, 32, 32), num_classes=10,
                    transform=transform, random_offset=0 if train else 10**6)


def _augment_digits(size):
    return [T.RandomAffine(degrees=10, translate=(0.1, 0.1))]


def _augment_photos(size):
    return [T.RandomCrop(size, padding=4), T.RandomHorizontalFlip()]


DATASETS = {
    "mnist": _Dataset("mnist", _vision_dataset("MNIST"), (1, 28, 28), (0.1307,), (0.3081,),
                      _augment_digits),
    "fashion-mnist": _Dataset("fashion-mnist", _vision_dataset("FashionMNIST"), (1, 28, 28),
                              (0.2860,), (0.3530,), _augment_digits),
    "cifar10": _Dataset("cifar10", _vision_dataset("CIFAR10"), (3, 32, 32),
                        (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616), _augment_photos),
    # uniform bytes: mean 127.5 / 255, std 255 / sqrt(12) / 255
    "fakedata": _Dataset("fakedata", _fakedata, (3, 32, 32), (0.5,) * 3, (0.2887,) * 3,
                         _augment_photos),
}


def _dataset_spec(name):
    if name not in DATASETS:
        raise CLIError(f"unknown dataset {name!r}; choose from: {', '.join(DATASETS)}")
    return DATASETS[name]


def _transform(spec, size, augment=False):
    """[augmentation], [Resize to the model's input size], ToTensor, Normalize."""
    steps = spec.augment(spec.shape[1]) if augment else []
    if size != spec.shape[1]:
        steps.append(T.Resize((size, size), antialias=True))
    return T.Compose(steps + [T.ToTensor(), T.Normalize(spec.mean, spec.std)])


def _load_split(spec, root, train, transform, download):
    try:
        return spec.factory(root, train, transform, download)
    except (RuntimeError, OSError) as e:
        raise CLIError(f"cannot load {spec.name}: {e}") from None


def _model_info(name):
    try:
        return models.get_model_info(name)
    except ValueError as e:
        raise CLIError(str(e)) from None


def _build_model(name, kwargs):
    try:
        return models.get_model(name, **kwargs)
    except TypeError as e:       # an option (e.g. --dropout) this model does not have
        unknown = [k for k in kwargs if f"'{k}'" in str(e)]
        if unknown:
            raise CLIError(f"{name} has no {unknown[0]} option") from None
        raise CLIError(f"{name}: {e}") from None
    except ValueError as e:
        raise CLIError(str(e)) from None


def _input_size(spec, info):
    """The image size to train at: the dataset's, or the model's minimum when larger."""
    return max(spec.shape[1], info.min_input_size)


def _checkpoint_path(path):
    """A checkpoint file: `path` itself, or best.pt (else last.pt) in a run folder."""
    if os.path.isdir(path):
        for name in ("best.pt", "last.pt"):
            if os.path.exists(os.path.join(path, name)):
                return os.path.join(path, name)
        raise CLIError(f"no best.pt or last.pt in {path}")
    if not os.path.exists(path):
        raise CLIError(f"no such checkpoint or run folder: {path}")
    return path


def _load_run(path):
    """(model in eval mode, run dict, checkpoint path) from a checkpoint written by train:
    the model is rebuilt from the run dict's name and kwargs, then gets the weights."""
    path = _checkpoint_path(path)
    try:
        state = torch.load(path)
    except (RuntimeError, OSError, ValueError) as e:
        raise CLIError(f"cannot read checkpoint {path}: {e}") from None
    run = state.get("run") if isinstance(state, dict) else None
    if not isinstance(run, dict) or "model" not in run or "model" not in state:
        raise CLIError(f"{path} is not a checkpoint written by `glasstorch train` (it has no "
                       "model name and weights)")
    model = _build_model(run["model"], run["model_kwargs"])
    problem = _mismatch(model.state_dict(), state["model"])
    if problem:
        raise CLIError(f"the weights in {path} do not fit a {run['model']} model "
                       f"{run['model_kwargs']}: {problem}")
    model.load_state_dict(state["model"])
    return model.eval(), run, path


def _mismatch(expected, got):
    """What keeps state_dict `got` from loading into a model with state_dict `expected`:
    missing and unexpected keys, or the first shape difference ('' when it fits)."""
    def some(keys):
        return ", ".join(keys[:3]) + (", ..." if len(keys) > 3 else "")
    missing = [k for k in expected if k not in got]
    unexpected = [k for k in got if k not in expected]
    if missing or unexpected:
        return (f"{len(missing)} missing keys ({some(missing)}) and {len(unexpected)} "
                f"unexpected keys ({some(unexpected)})")
    for k, v in expected.items():
        if tuple(v.shape) != tuple(got[k].shape):
            return (f"{k} has shape {tuple(got[k].shape)} in the checkpoint, "
                    f"{tuple(v.shape)} in the model")
    return ""


def _test(model, loader, num_classes):
    """Mean cross-entropy, accuracy and confusion matrix of `model` over `loader`."""
    acc, cm = Accuracy(), ConfusionMatrix(num_classes)
    total, n = 0.0, 0
    model.eval()
    with torch.no_grad():
        for x, y in loader:
            out = model(x)
            total += torch.nn.functional.cross_entropy(out, y, reduction="sum").item()
            n += len(y)
            acc.update(out, y)
            cm.update(out, y)
    return {"loss": total / max(n, 1), "acc": acc.compute(), "samples": n,
            "confusion_matrix": cm.compute().tolist()}
