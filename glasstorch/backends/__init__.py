"""torch.backends: the switches of torch's kernel libraries, with a CPU-only build's answers.

(Not to be confused with glasstorch/backend/, the NumPy layer every op computes with.)

User code sets these flags (`torch.backends.cudnn.benchmark = True`,
`torch.backends.cudnn.deterministic = True`) and asks them (`torch.backends.mps.is_available()`)
before choosing a device. glasstorch has none of these libraries, so the flags are plain
attributes that keep what is written (and change nothing: every kernel is NumPy's) and the
`is_available()` questions answer as torch does on a CPU machine without them. Each submodule
is a real module, so `import torch.backends.cudnn as cudnn` works.
"""
import contextlib
import sys
import types

__all__ = ["cpu", "cuda", "cudnn", "cusparselt", "kleidiai", "mha", "miopen", "mkl", "mkldnn",
           "mps", "nnpack", "openmp", "opt_einsum", "python_native", "quantized"]


def _module(name, doc, **attrs):
    """A submodule `glasstorch.backends.<name>` holding `attrs`, importable by its path."""
    mod = types.ModuleType(f"{__name__}.{name}", doc)
    mod.__dict__.update(attrs)
    sys.modules[mod.__name__] = mod
    return mod


def _false(*args, **kwargs):
    return False


def _none(*args, **kwargs):
    return None


@contextlib.contextmanager
def _flags(**kwargs):
    """`with torch.backends.cudnn.flags(enabled=False): ...`: nothing to switch here."""
    yield


cpu = _module("cpu", "The CPU's vector capability, as torch reports it (NumPy decides here).",
              get_cpu_capability=lambda: "DEFAULT")
cudnn = _module("cudnn", "cuDNN flags: kept, unused (no cuDNN).", enabled=True,
                benchmark=False, deterministic=False, allow_tf32=True, benchmark_limit=10,
                is_available=_false, version=_none, is_acceptable=_false, flags=_flags)
miopen = _module("miopen", "MIOpen flags: kept, unused.", immediate=False)
mkldnn = _module("mkldnn", "oneDNN flags: kept, unused (no oneDNN here).", enabled=True,
                 deterministic=False, allow_tf32=True, is_available=_false, flags=_flags)
mkl = _module("mkl", "MKL: not used (NumPy's BLAS).", VERBOSE_OFF=0, VERBOSE_ON=1,
              is_available=_false, verbose=lambda enable: contextlib.nullcontext())
mps = _module("mps", "Apple's Metal devices: none.", is_available=_false, is_built=_false,
              is_macos13_or_newer=_false, is_macos_or_newer=_false,
              get_name=_none, get_core_count=_none)
cusparselt = _module("cusparselt", "cuSPARSELt: none.", is_available=_false, version=_none,
                     get_max_alg_id=_none)
kleidiai = _module("kleidiai", "KleidiAI (Arm): none.", is_available=_false)
nnpack = _module("nnpack", "NNPACK: none.", is_available=_false, flags=_flags,
                 set_flags=lambda enabled: (False,))
openmp = _module("openmp", "OpenMP: glasstorch threads through backend/threads.py instead.",
                 is_available=_false)
opt_einsum = _module("opt_einsum", "einsum contraction order (NumPy's einsum optimizes).",
                     enabled=False, strategy=None, is_available=_false)
quantized = _module("quantized", "Quantized engines: out of scope.", engine="none",
                    supported_engines=["none"])
python_native = _module("python_native", "Python-native kernel DSLs: none.",
                        all_dsls=lambda: [], available_dsls=lambda: [])

_fastpath = [True]
mha = _module("mha", "nn.MultiheadAttention's fast path flag.",
              get_fastpath_enabled=lambda: _fastpath[0],
              set_fastpath_enabled=lambda value: _fastpath.__setitem__(0, bool(value)))

_sdp = dict(flash=True, mem_efficient=True, math=True, cudnn=True)
cuda = _module(
    "cuda", "CUDA kernel flags: kept, unused (no CUDA).", is_built=_false,
    matmul=types.SimpleNamespace(allow_tf32=False, allow_fp16_reduced_precision_reduction=True,
                                 allow_bf16_reduced_precision_reduction=True),
    cufft_plan_cache=types.SimpleNamespace(size=0, max_size=0, clear=_none),
    flash_sdp_enabled=lambda: _sdp["flash"], math_sdp_enabled=lambda: _sdp["math"],
    mem_efficient_sdp_enabled=lambda: _sdp["mem_efficient"],
    cudnn_sdp_enabled=lambda: _sdp["cudnn"],
    enable_flash_sdp=lambda enabled: _sdp.__setitem__("flash", bool(enabled)),
    enable_math_sdp=lambda enabled: _sdp.__setitem__("math", bool(enabled)),
    enable_mem_efficient_sdp=lambda enabled: _sdp.__setitem__("mem_efficient", bool(enabled)),
    enable_cudnn_sdp=lambda enabled: _sdp.__setitem__("cudnn", bool(enabled)),
    is_flash_attention_available=_false, can_use_flash_attention=_false,
    can_use_efficient_attention=_false, can_use_cudnn_attention=_false,
    preferred_linalg_library=_none, preferred_blas_library=_none, sdp_kernel=_flags)
