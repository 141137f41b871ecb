"""Dropout's mask in one compiled pass, drawing the very numbers NumPy's path draws (so
ops/dropout.py and the fused attention op use it whenever `backend.kernels.numba_for_exact()`):

    dropout_mask(rng, shape, p, dtype)   multiply(rng.random(shape, float32) >= p, 1 / (1 - p))

NumPy's path makes three passes (the uniform floats, the comparison, the scaled mask) and
spends most of its time in the generator: ~1.5 ns per float32 through a function pointer per
number. Here the generator (PCG64, O'Neill 2014: a 128-bit LCG, each 64-bit output cut into
two 32-bit halves, low half first, as NumPy's `next_uint32` does) runs inline in the loop that
writes the mask: (35, 32, 512) 1.10 -> 0.68 ms. The bits are the same because every step is
integer arithmetic: a float32 uniform is k * 2^-24 with k = the 32-bit half >> 8, so `u >= p`
is `k >= ceil(p * 2^24)` exactly; the generator's state (including NumPy's buffered half) is
left where NumPy's draw leaves it. tests/backend/test_numba_random.py compares both.
"""
import math

import numpy
from llvmlite import ir
from numba.core import types
from numba.extending import intrinsic

from .numba_base import _call, njit

__all__ = ["dropout_mask"]

_FLOATS = (numpy.dtype(numpy.float32), numpy.dtype(numpy.float64))
_U = numpy.uint64
_MASK64 = (1 << 64) - 1


@intrinsic
def _mulhi(typingctx, a, b):
    """The high 64 bits of the 128-bit product a * b (uint64): one machine multiply."""
    if a != types.uint64 or b != types.uint64:
        return None

    def codegen(context, builder, sig, args):
        wide = ir.IntType(128)
        product = builder.mul(builder.zext(args[0], wide), builder.zext(args[1], wide))
        return builder.trunc(builder.lshr(product, ir.Constant(wide, 64)), ir.IntType(64))
    return types.uint64(types.uint64, types.uint64), codegen


@njit(nogil=True, error_model="numpy")
def _mask(out, cut, value, zero, hi, lo, inc_hi, inc_lo, has32, buf):
    """out[i] = value if the i-th 32-bit draw >> 8 is >= cut else zero; the state (hi, lo),
    NumPy's buffered half (has32, buf) are returned as they end. Every constant is a uint64:
    a plain int literal would turn the arithmetic into float64."""
    mult_hi, mult_lo = _U(0x2360ED051FC65DA4), _U(0x4385DF649FCCF645)  # PCG's 128-bit multiplier
    s8, s32, s58, low32 = _U(8), _U(32), _U(58), _U(0xFFFFFFFF)
    n = out.size
    i = 0
    if has32 and n > 0:             # the high half the previous draw left unused comes first
        out[0] = value if (buf >> s8) >= cut else zero
        has32 = False
        i = 1
    while i < n:
        # state = state * multiplier + increment (mod 2^128)
        new_lo = lo * mult_lo
        new_hi = _mulhi(lo, mult_lo) + lo * mult_hi + hi * mult_lo
        lo = new_lo + inc_lo
        hi = new_hi + inc_hi + (_U(1) if lo < new_lo else _U(0))
        # XSL-RR output: the two halves xored, rotated right by the top 6 bits
        x = hi ^ lo
        r = hi >> s58
        x = (x >> r) | (x << ((_U(64) - r) & _U(63)))
        out[i] = value if ((x & low32) >> s8) >= cut else zero
        buf = x >> s32              # NumPy keeps the high half even after using it
        if i + 1 < n:
            out[i + 1] = value if (buf >> s8) >= cut else zero
        else:
            has32 = True
        i += 2
    return hi, lo, has32, buf


def dropout_mask(rng, shape, p, dtype):
    """`multiply(rng.random(shape, dtype=float32) >= p, divide(ones((), dtype), 1 - p),
    dtype=dtype)` bit for bit, rng advanced as that draw advances it; None (the caller's
    NumPy path) unless rng is a PCG64 Generator, 0 < p < 1 and dtype is float32/64."""
    dtype = numpy.dtype(dtype)
    bits = getattr(rng, "bit_generator", None)   # not a numpy Generator (a replaying stand-in)
    if type(bits) is not numpy.random.PCG64 or dtype not in _FLOATS or not 0 < p < 1:
        return None
    # u >= p compares in float32 for a Python float p, in float64 for a float64 one; either
    # way k * 2^-24 >= p exactly when k >= ceil(p * 2^24) (the product only moves p's exponent)
    threshold = float(numpy.result_type(numpy.float32, p).type(p))
    cut = _U(math.ceil(threshold * 2.0 ** 24))
    value = numpy.divide(numpy.ones((), dtype), 1 - p)
    out = numpy.empty(shape, dtype)
    with bits.lock:
        state = bits.state
        s, inc = state["state"]["state"], state["state"]["inc"]
        hi, lo, has32, buf = _call(
            _mask, out.reshape(-1), cut, value[()], dtype.type(0), _U(s >> 64), _U(s & _MASK64),
            _U(inc >> 64), _U(inc & _MASK64), bool(state["has_uint32"]), _U(state["uinteger"]))
        state["state"]["state"] = (int(hi) << 64) | int(lo)
        state["has_uint32"], state["uinteger"] = int(has32), int(buf)
        bits.state = state
    return out
