"""Enumerate torch's public API and classify each name for glasstorch.

Names come from torch itself: `torch.overrides.get_testing_overrides()` (torch's list of its
overridable functions and Tensor methods, with a lambda of each one's parameter names), and the
public names of the namespaces in NAMESPACES (`__all__` where the module has one, else the
names it defines). Each name is

  - "compatible": glasstorch has it, and accepts every parameter name torch's signature has
    (keyword aliases of _aliases.py included; `out=` and `self` are not compared: glasstorch
    has no out= buffers; nor is the name of a function's first parameter, the tensor, always
    passed positionally), or it is not callable / torch's signature is not introspectable;
  - "present": glasstorch has it, but some torch parameter name is not accepted (listed);
  - "missing";
  - "out of scope": matched by OUT_OF_SCOPE, with the reason (not counted in percentages).
"""
import importlib
import inspect
import re
import types

NAMESPACES = ["torch", "Tensor", "nn", "nn.functional", "nn.init", "nn.utils", "optim",
              "optim.lr_scheduler", "utils.data", "autograd", "autograd.functional", "linalg",
              "special", "fft", "distributions", "testing", "cuda", "backends"]

# (regex on the name, why glasstorch leaves it out). Checked in this order; documented in
# docs/COMPATIBILITY.md.
OUT_OF_SCOPE = [
    (r"sparse|to_dense$|coalesce|indices$|crow_|col_indices|ccol_|row_indices|values$|"
     r"smm$|sspaddmm|hspmm|_nnz|sparse_dim|dense_dim|sampled_addmm|^SparseAdam$|"
     r"^saddmm$|^values_copy$|^indices_copy$",
     "sparse layouts: glasstorch tensors are dense (NumPy arrays)"),
    (r"quantiz|^q_|qscheme|int_repr|dequantize|fake_quant|fbgemm|^quantized|qint|quint|"
     r"choose_qparams|^intrinsic$|^qat$",  # nn.intrinsic: fused modules to quantize; nn.qat:
     "quantization: integer inference kernels are out of scope"),  # quantization-aware training
    (r"nested|to_padded_tensor", "nested tensors"),
    (r"mkldnn|cudnn|miopen|mps|xpu|vulkan|ipu|hip|mtia|hpu|xla|_foreach|nnpack|cufft|"
     r"cusparse|cublas|cutlass|is_meta|is_maia", "vendor devices and kernel-library internals"),
    (r"^batch_norm_(stats|elemt|gather_stats|gather_stats_with_counts|backward_reduce|"
     r"backward_elemt)$|^native_norm$",
     "kernels torch 2.13 has no CPU implementation of (SyncBatchNorm's CUDA statistics; "
     "native_norm is sparse-only): torch raises NotImplementedError on CPU"),
    (r"^sym_|^Sym|symint", "symbolic shapes (torch.compile internals)"),
    (r"^i?r?h?fft(2|n)?$|^stft$|^istft$",
     "Fourier transforms produce complex tensors (fftfreq/rfftfreq/fftshift are in)"),
    (r"complex|^real$|^imag$|view_as_real|view_as_complex|^conj|resolve_conj|resolve_neg|"
     r"is_neg$|^polar$|^angle$|^adjoint$|chalf|cfloat|cdouble|^is_conj|^eig$|^eigvals$",
     "complex dtypes: glasstorch has real dtypes only (linalg.eig/eigvals return complex "
     "tensors even for real input)"),
    (r"^bfloat16$|bfloat|float8|^uint(16|32|64)|^bits|^float4", "dtypes NumPy lacks"),
    (r"^all_reduce|^all_gather|broadcast_coalesced|reduce_scatter|^comm$|nccl",
     "collectives belong to glasstorch.distributed"),
    (r"^cuda$|^is_cuda$|pin_memory|is_pinned|record_stream|share_memory|is_shared|"
     r"^storage|untyped_storage|^data_ptr$|storage_offset|_typed_storage|^new_(empty_strided)$|"
     r"^set_$|^map2_$|^map_$|apply_$|^element_size$|^nbytes$|^itemsize$|dlpack|"
     r"^to_mkldnn|^is_set_to$|^device$|^get_device$|^is_leaf$|^grad_fn$|^output_nr$|"
     r"^_version$|^retains_grad$|^is_inference$|^names$|^refine_names|^align_|^rename|"
     r"^has_names$|^unflatten_names", "storage/memory/device internals and named tensors"),
    (r"_notes$|^TYPE_CHECKING$|^BroadcastingList|torch_function|^boolean_dispatch$|"
     r"^assert_int_or_pair$|^common_types$|^factory_kwargs$|^ScalingType$|^SwizzleType$",
     "typing and docstring helpers, __torch_function__ plumbing: not user API"),
    (r"^NestedIOFunction$", "legacy autograd class that torch 2.13 itself cannot run (calling "
     "an instance or .apply raises AttributeError: '_do_forward' / '_nested_input')"),
    (r"DataPipe|^DataChunk$|datapipe|^argument_validation$|^runtime_validation|"
     r"^non_deterministic$", "DataPipes: deprecated and being removed from torch"),
    (r"^jit|^compile|^export|^fx$|^dynamo|^inductor|^onnx|^package|^profiler|^mobile|"
     r"^hub$|^library|^_|^FileCheck$|^parse_ir$|^parse_schema$|^parse_type_comment$|"
     r"^merge_type_from_type_comment$|^unify_type_list$|^import_ir_module",
     "other subsystems (jit/onnx have their own glasstorch packages; TorchScript's IR, "
     "schema and type-comment parsers re-exported from torch._C)"),
]

_SKIP_PARAMS = {"self", "out", "args", "kwargs"}


def _out_of_scope(name):
    for pattern, reason in OUT_OF_SCOPE:
        if re.search(pattern, name):
            return reason
    return None


def _public_names(mod):
    names = getattr(mod, "__all__", None)
    if names is None:
        names = []
        for n in dir(mod):
            if n.startswith("_"):
                continue
            obj = getattr(mod, n)
            if isinstance(obj, types.ModuleType):
                if obj.__name__.startswith(mod.__name__ + "."):
                    names.append(n)        # a submodule of the namespace (backends.cudnn)
                continue
            owner = getattr(obj, "__module__", None) or ""
            if owner.startswith("torch") or not callable(obj):
                if not (isinstance(obj, type) and owner.startswith("typing")):
                    names.append(n)
    return sorted(set(names))


def _param_names(fn):
    """Parameter names of a callable (class: its __init__), minus self/out/*args; None when
    they cannot be read."""
    try:
        if isinstance(fn, type):
            fn = fn.__init__
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    return [p.name for p in sig.parameters.values()
            if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD) and p.name not in _SKIP_PARAMS]


def _accepts(fn):
    """(names glasstorch's callable accepts, takes **kwargs) or None if not introspectable."""

    try:
        target = fn.__init__ if isinstance(fn, type) else fn
        sig = inspect.signature(target)
    except (TypeError, ValueError):
        return None
    names = set(sig.parameters)
    aliases = getattr(fn, "_aliases", None) or {}
    names |= set(aliases)
    var_kw = any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values())
    if var_kw and isinstance(fn, type) and target is object.__init__:
        var_kw = False

    return names, var_kw


def _torch_namespace(torch, ns):
    """[(name, torch object, torch parameter names or None)] of one namespace."""
    overrides = torch.overrides.get_testing_overrides()
    rows = []
    if ns in ("torch", "Tensor"):
        holder = torch if ns == "torch" else torch.Tensor
        # torch's factories (zeros, rand, tensor...) are not overridable: its list of
        # "ignored" functions holds them, with no lambda (their signature is C++)
        ignored = {id(f) for f in torch.overrides.get_ignored_functions()} \
            if ns == "torch" else set()
        for name in sorted(dir(holder)):
            if name.startswith("_"):
                continue
            obj = getattr(holder, name, None)
            try:
                lam = overrides.get(obj)
            except TypeError:
                lam = None
            if lam is not None:
                rows.append((name, obj, _param_names(lam)))
            elif id(obj) in ignored and callable(obj) and not isinstance(obj, type):
                rows.append((name, obj, None))
        return rows
    mod = importlib.import_module("torch." + ns)
    for name in _public_names(mod):
        obj = getattr(mod, name, None)
        try:
            lam = overrides.get(obj)
        except TypeError:
            lam = None
        params = _param_names(lam) if lam is not None else (
            _param_names(obj) if callable(obj) and not isinstance(obj, types.ModuleType)
            else None)
        rows.append((name, obj, params))
    return rows


def _glasstorch_obj(gt, ns, name):
    if ns == "torch":
        holder = gt
    elif ns == "Tensor":
        holder = gt.Tensor
    else:
        try:
            holder = importlib.import_module("glasstorch." + ns)
        except ImportError:
            return None
    return getattr(holder, name, None)


def classify(ns):
    """[(name, status, note)] for namespace `ns`; status in compatible/present/missing/out."""
    import torch
    import glasstorch as gt
    out = []
    for name, tobj, params in _torch_namespace(torch, ns):
        reason = _out_of_scope(name)
        if reason:
            out.append((name, "out of scope", reason))
            continue
        gobj = _glasstorch_obj(gt, ns, name)
        if gobj is None:
            out.append((name, "missing", ""))
            continue
        if not params or not callable(gobj) or isinstance(gobj, types.ModuleType):
            out.append((name, "compatible", ""))
            continue
        acc = _accepts(gobj)
        if acc is None:
            out.append((name, "compatible", "signature not introspectable"))
            continue
        names, var_kw = acc
        # the first parameter (the tensor: `input`, `self`, `A`) is passed positionally; the
        # overrides' lambdas name it inconsistently (`input` for torch.linalg.inv's `A`)
        first = params[:1] if params and not isinstance(tobj, type) else []
        lacking = [p for p in params if p not in names and not var_kw and p not in first]
        if lacking:
            out.append((name, "present", "no parameter " + ", ".join(lacking)))
        else:
            out.append((name, "compatible", ""))
    return out


def census():
    """{namespace: [(name, status, note)]} over NAMESPACES."""
    return {ns: classify(ns) for ns in NAMESPACES}


def summary(rows):
    """(in scope, present incl. compatible, compatible, missing) counts of one namespace."""
    scope = [r for r in rows if r[1] != "out of scope"]
    comp = sum(r[1] == "compatible" for r in scope)
    pres = comp + sum(r[1] == "present" for r in scope)
    return len(scope), pres, comp, len(scope) - pres
