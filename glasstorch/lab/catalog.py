"""The Lab's catalogue: the `@experiment` decorator and the registry of all experiments.

Topic modules (t01_tensors.py, ...) decorate one function per experiment; `load()` imports every
module of this package named `tNN_*.py` (a large topic may span several, e.g. t10_cnn.py and
t10_cnn_nets.py), in name order, so that the registry is complete. The id, question, claim, test
and flag come from the catalogue (QUESTIONS.md) and are declared here, before anything runs.
"""
import importlib
import os
import re

__all__ = ["Experiment", "experiment", "EXPERIMENTS", "TOPICS", "load", "get", "select"]

# topic number -> (main module name, title); a new topic adds one line here and one module
TOPICS = {
    1: ("t01_tensors", "Tensors and autograd"),
    2: ("t02_data", "Data and batching"),
    3: ("t03_regression", "Linear, logistic and softmax regression"),
    4: ("t04_mlp", "MLPs and activations"),
    5: ("t05_losses", "Losses and metrics"),
    6: ("t06_optim", "Optimizers and learning rates"),
    7: ("t07_init", "Initialization and numerical stability"),
    8: ("t08_regularization", "Regularization: weight decay, dropout, BatchNorm, early stopping, "
                              "augmentation"),
    9: ("t09_selection", "Model selection: k-fold, hyperparameter search, ensembles, class "
                         "imbalance"),
    10: ("t10_cnn", "CNNs: convolution, padding, stride, 1x1, pooling, classic nets, transposed "
                    "convolution"),
    11: ("t11_sequence", "Sequence models: RNN/GRU/LSTM, batch sampling, gradient clipping, "
                         "vocabulary"),
    12: ("t12_attention", "Attention, Transformer, BERT, word2vec"),
    13: ("t13_deployment", "Deployment and multiple devices"),
}

EXPERIMENTS = {}      # id -> Experiment, in registration order


class Experiment:
    """One catalogue row plus the function that measures it: fn(torch, lab) -> Verdict."""

    def __init__(self, fn, id, topic, question, claim, test, flag="", plot=""):
        self.fn, self.id, self.topic = fn, id, topic
        self.question, self.claim, self.test, self.flag, self.plot = (
            question, claim, test, flag, plot)

    @property
    def topic_title(self):
        return TOPICS.get(self.topic, ("", f"Topic {self.topic}"))[1]

    def meta(self):
        return {"id": self.id, "topic": self.topic, "topic_title": self.topic_title,
                "question": self.question, "claim": self.claim, "test": self.test,
                "flag": self.flag, "plot": self.plot, "function": self.fn.__module__ + "."
                + self.fn.__name__}


def experiment(id, topic, question, claim, test, flag="", plot=""):
    """Register the decorated function `fn(torch, lab)` as experiment `id` of `topic`."""
    def register(fn):
        if id in EXPERIMENTS and EXPERIMENTS[id].fn.__qualname__ != fn.__qualname__:
            raise ValueError(f"lab: experiment id {id!r} registered twice")
        EXPERIMENTS[id] = Experiment(fn, id, topic, question, claim, test, flag, plot)
        return fn
    return register


def topic_modules():
    """Names of the topic modules in this package (tNN_*.py), in name order."""
    here = os.path.dirname(os.path.abspath(__file__))
    return sorted(name[:-3] for name in os.listdir(here) if re.fullmatch(r"t\d\d_\w+\.py", name))


def load():
    """Import every topic module (registering its experiments); returns EXPERIMENTS."""
    for module in topic_modules():
        importlib.import_module(f"glasstorch.lab.{module}")
    return EXPERIMENTS


def get(exp_id):
    load()
    if exp_id not in EXPERIMENTS:
        raise KeyError(f"no experiment {exp_id!r} (see `glasstorch lab list`)")
    return EXPERIMENTS[exp_id]


def select(ids=(), topic=None, all=False):
    """Experiments by ids, by topic number, or all of them, in catalogue order."""
    load()
    if all:
        return list(EXPERIMENTS.values())
    if topic is not None:
        chosen = [e for e in EXPERIMENTS.values() if e.topic == topic]
        if not chosen:
            raise KeyError(f"no experiments in topic {topic} (topics: "
                           f"{', '.join(map(str, sorted(TOPICS)))})")
        return chosen
    return [get(i) for i in ids]
