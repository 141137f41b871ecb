"""LLVM-level helpers for numba kernels that two threads share memory through (used by
backend/numba_halves.py): atomic loads, stores and compare-and-swap on int32/int64 array
slots, a spin-wait hint, the monotonic clock, the futex system call, a cblas_?gemm call
through a function pointer, and an address as a typed pointer. numba has no inline
assembler and no atomics, so each is a few lines of llvmlite IR (numba.extending.intrinsic).
"""
import os

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

__all__ = ["load", "store", "claim", "pause", "now", "futex", "gemm", "pointer",
           "SYS_FUTEX", "PAUSE"]

_SYS_FUTEX = {"x86_64": 202, "aarch64": 98}.get(os.uname().machine) if hasattr(os, "uname") \
    else None


@intrinsic
def _load(typingctx, array, index):
    """array[index] of an int32/int64 array, an atomic (sequentially consistent) load."""
    def codegen(context, builder, sig, args):
        arr = context.make_array(sig.args[0])(context, builder, args[0])
        return builder.load_atomic(builder.gep(arr.data, [args[1]]), "seq_cst",
                                   sig.args[0].dtype.bitwidth // 8)
    return array.dtype(array, types.intp), codegen


@intrinsic
def _store(typingctx, array, index, value):
    """array[index] = value (int32/int64), an atomic (sequentially consistent) store."""
    def codegen(context, builder, sig, args):
        arr = context.make_array(sig.args[0])(context, builder, args[0])
        t = context.get_value_type(sig.args[0].dtype)
        v = builder.trunc(args[2], t) if t.width < 64 else args[2]
        builder.store_atomic(v, builder.gep(arr.data, [args[1]]), "seq_cst",
                             sig.args[0].dtype.bitwidth // 8)
        return context.get_dummy_value()
    return types.none(array, types.intp, types.int64), codegen


@intrinsic
def _claim(typingctx, array, index, old, new):
    """array[index] from old to new if it was old (compare-and-swap): whether it was."""
    def codegen(context, builder, sig, args):
        arr = context.make_array(sig.args[0])(context, builder, args[0])
        pair = builder.cmpxchg(builder.gep(arr.data, [args[1]]), args[2], args[3], "seq_cst",
                               "seq_cst")
        return builder.extract_value(pair, 1)
    return types.boolean(array, types.intp, types.int64, types.int64), codegen


def _libc_call(builder, name, ret, argtys, args):
    fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ret, argtys), name)
    return builder.call(fn, args)


# the spin-wait hint as an LLVM intrinsic (x86 `pause`, arm `yield`): numba's LLVM has no
# inline assembler
_PAUSE = {"x86_64": ("llvm.x86.sse2.pause", ()), "aarch64": ("llvm.aarch64.hint", (1,))}.get(
    os.uname().machine) if hasattr(os, "uname") else None


@intrinsic
def _pause(typingctx):
    """A spin-wait hint, no system call: sched_yield would hand the core for a whole time slice
    to any other runnable process (Linux CFS: a nice-15 test run), and the job waits for it."""
    def codegen(context, builder, sig, args):
        name, values = _PAUSE
        i32 = ir.IntType(32)
        fn = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VoidType(), [i32] * len(values)), name)
        builder.call(fn, [ir.Constant(i32, v) for v in values])
        return context.get_dummy_value()
    return types.none(), codegen


@intrinsic
def _now(typingctx):
    """clock_gettime(CLOCK_MONOTONIC) in ns."""
    def codegen(context, builder, sig, args):
        i64 = ir.IntType(64)
        spec = cgutils.alloca_once(builder, ir.ArrayType(i64, 2))
        _libc_call(builder, "clock_gettime", ir.IntType(32), [ir.IntType(32), i64.as_pointer()],
                   [ir.Constant(ir.IntType(32), 1), builder.bitcast(spec, i64.as_pointer())])
        seconds = builder.load(cgutils.gep(builder, spec, 0, 0))
        nanos = builder.load(cgutils.gep(builder, spec, 0, 1))
        return builder.add(builder.mul(seconds, ir.Constant(i64, 1_000_000_000)), nanos)
    return types.int64(), codegen


@intrinsic
def _futex(typingctx, number, array, op, value, nanos):
    """syscall(number, &array[0] (int32), op, value, {0, nanos} or NULL if nanos <= 0)."""
    def codegen(context, builder, sig, args):
        i64, i32 = ir.IntType(64), ir.IntType(32)
        arr = context.make_array(sig.args[1])(context, builder, args[1])
        spec = cgutils.alloca_once(builder, ir.ArrayType(i64, 2))
        builder.store(ir.Constant(i64, 0), cgutils.gep(builder, spec, 0, 0))
        builder.store(args[4], cgutils.gep(builder, spec, 0, 1))
        ts = builder.select(builder.icmp_signed(">", args[4], ir.Constant(i64, 0)),
                            builder.ptrtoint(spec, i64), ir.Constant(i64, 0))
        _libc_call(builder, "syscall", i64, [i64, i64, i64, i64, i64],
                   [args[0], builder.ptrtoint(arr.data, i64), args[2],
                    builder.sext(args[3], i64), ts])
        return context.get_dummy_value()
    return types.none(types.int64, array, types.int64, types.int32, types.int64), codegen


@intrinsic
def _gemm(typingctx, fptr, job, offset, double):
    """cblas_?gemm (ILP64) through fptr with job[offset:offset + 11]: order, transa, transb,
    m, n, k, a, lda, b, ldb, c (+ ldc), alpha 1 and beta 0; double: a literal bool."""
    def codegen(context, builder, sig, args):
        i64, i32 = ir.IntType(64), ir.IntType(32)
        f = ir.DoubleType() if sig.args[3].literal_value else ir.FloatType()
        fnty = ir.FunctionType(ir.VoidType(), [i32, i32, i32, i64, i64, i64, f, i64, i64, i64,
                                               i64, f, i64, i64])
        arr = context.make_array(sig.args[1])(context, builder, args[1])
        v = [builder.load(builder.gep(arr.data, [builder.add(args[2], ir.Constant(i64, j))]))
             for j in range(12)]
        builder.call(builder.inttoptr(args[0], fnty.as_pointer()),
                     [builder.trunc(x, i32) for x in v[:3]] + v[3:6] + [ir.Constant(f, 1.0)]
                     + v[6:10] + [ir.Constant(f, 0.0)] + v[10:12])
        return context.get_dummy_value()
    if not isinstance(double, types.BooleanLiteral):
        return None
    return types.none(types.int64, job, types.intp, double), codegen


@intrinsic
def _pointer(typingctx, address, dtype):
    """address (int64) as a pointer to dtype (a NumberClass: numba.float32 / float64)."""
    t = dtype.dtype

    def codegen(context, builder, sig, args):
        return builder.inttoptr(args[0], context.get_value_type(t).as_pointer())
    return types.CPointer(t)(address, dtype), codegen


load, store, claim, pause, now, futex, gemm, pointer = (
    _load, _store, _claim, _pause, _now, _futex, _gemm, _pointer)
SYS_FUTEX, PAUSE = _SYS_FUTEX, _PAUSE
