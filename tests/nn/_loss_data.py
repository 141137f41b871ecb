"""Inputs shared by the loss tests (test_loss.py, test_loss_margin_modules.py): drawn once, in
this order, from one seeded generator, and the helpers that build the functional calls."""
import numpy as np

RNG = np.random.default_rng(0)
W5 = RNG.uniform(0.2, 2.0, 5)          # class weights for C = 5
W4 = RNG.uniform(0.2, 2.0, 4)          # class weights for C = 4
IGN = np.array([0, 3, -100, 1, 3, 4])  # class targets with an ignored entry (-100)
PROB = RNG.uniform(0.05, 0.95, (4, 5))  # probabilities (BCE inputs)
SIGNS = np.array([1.0, -1.0, -1.0, 1.0])
POS = RNG.uniform(0.1, 2.0, (3, 4))     # positive values (targets, variances, rates)


def F(lib):
    return lib.nn.functional


def _c(lib, a, like):
    """A constant of the other inputs' dtype (weights; they take no gradient)."""
    return lib.tensor(np.asarray(a), dtype=like.dtype)
