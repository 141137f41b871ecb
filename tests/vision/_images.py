"""Random test images for the transforms tests: uint8 and float32 arrays from one seeded
generator, and G(a), the glasstorch tensor of an array."""
import numpy as np

import glasstorch as gt

RNG = np.random.default_rng(0)


def u8(*shape):
    return RNG.integers(0, 256, shape, dtype=np.uint8)


def f32(*shape):
    return RNG.random(shape, dtype=np.float32)


def G(a):
    return gt.tensor(a)
