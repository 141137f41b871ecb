"""Enumerate torch's public API and classify each name for glasstorch.

Names come from torch itself: `torch.overrides.get_testing_overrides()` (torch's list of its
overridable functions and Tensor methods), and the public names of the namespaces in NAMESPACES
(`__all__` where the module has one, else the names it defines). A name's parameters are the
ones torch accepts as keywords (`_torch_params`): a Python function's own signature; for a C++
builtin, the native schemas its Python argument parser is generated from. The overrides'
lambdas are only the fallback: they misname many parameters that torch itself rejects
(`where(condition, x, y)`, `swapaxes(input, dim0, dim1)`, `topk(..., descending)`,
`linalg.vecdot(input, other)`: torch raises TypeError on each of those keywords). Each name is

  - "compatible": glasstorch has it, and accepts every parameter name torch's signature has
    (keyword aliases of _aliases.py included; `out=` and `self` are not compared: glasstorch
    has no out= buffers; nor is the name of a function's first parameter, the tensor, always
    passed positionally), or it is not callable / torch's signature is not introspectable;
  - "present": glasstorch has it, but some torch parameter name is not accepted (listed);
  - "missing";
  - "out of scope": matched by OUT_OF_SCOPE, with the reason (not counted in percentages).
"""
import functools
import importlib
import inspect
import os
import re
import types

NAMESPACES = ["torch", "Tensor", "nn", "nn.functional", "nn.init", "nn.utils", "optim",
              "optim.lr_scheduler", "utils.data", "autograd", "autograd.functional", "linalg",
              "special", "fft", "distributions", "testing", "cuda", "backends"]

# (regex on the name, why glasstorch leaves it out). Checked in this order; documented in
# docs/COMPATIBILITY.md.
OUT_OF_SCOPE = [
    (r"sparse|coalesce|indices$|crow_|col_indices|ccol_|row_indices|values$|"
     r"smm$|sspaddmm|hspmm|_nnz|sparse_dim|dense_dim|sampled_addmm|^SparseAdam$|"
     r"^saddmm$|^values_copy$|^indices_copy$",
     "sparse layouts: glasstorch tensors are dense (NumPy arrays). A factory given "
     "layout=torch.sparse_coo (or any sparse layout) raises torch's error type for that "
     "factory, layout and size (RuntimeError or NotImplementedError; NotImplementedError "
     "where torch would build a sparse tensor; scalar_tensor ignores it, as torch); the "
     "sparse-gradient options (gather(sparse_grad=True), sparse=True of Embedding, "
     "EmbeddingBag, F.embedding, F.embedding_bag) give the same gradient values as a "
     "dense tensor, which Tensor.to_dense() returns as is (tests/ops/test_sparse_fallback.py)"),
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
    (r"^bfloat16$|bfloat|float8|^uint(16|32|64)|^bits|^float4|^scaled_mm$|"
     r"^scaled_grouped_mm$|^hash_tensor$",
     "dtypes glasstorch does not have: bfloat16, float8, float4, bits (NumPy has none of "
     "them; F.scaled_mm / scaled_grouped_mm multiply float8/float4 tensors by their scales "
     "and reject any other dtype), uint16/32/64 (shell dtypes in torch itself, with few "
     "kernels; hash_tensor's result is uint64)"),
    (r"^all_reduce|^all_gather|broadcast_coalesced|reduce_scatter|^comm$|nccl",
     "collectives belong to glasstorch.distributed"),
    (r"^cuda$|^is_cuda$|pin_memory|is_pinned|record_stream|share_memory|is_shared|"
     r"^storage|untyped_storage|^data_ptr$|storage_offset|_typed_storage|^new_(empty_strided)$|"
     r"^set_$|^map2_$|^map_$|apply_$|^element_size$|^nbytes$|^itemsize$|dlpack|"
     r"^to_mkldnn|^is_set_to$|^device$|^get_device$|^is_leaf$|^grad_fn$|^output_nr$|"
     r"^_version$|^retains_grad$|^is_inference$|^names$|^refine_names|^align_|^rename|"
     r"^has_names$|^unflatten_names|^const_data_ptr$|^mutable_data_ptr$|^slice_inverse$",
     "storage/memory/device internals and named tensors (slice_inverse: functionalization's "
     "view of self's storage with src's sizes, strides and offset, which torch says should "
     "not show up outside PT2 graphs)"),
    (r"^index$", "first-class dimensions (functorch.dim): Tensor.index binds positions to "
     "Dim objects"),
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

# keywords torch's generated Python bindings add to a native schema's arguments (factories'
# requires_grad, nonzero's as_tuple, Tensor.cpu's memory_format): kept when the lambda lists them
_BINDING_EXTRAS = {"requires_grad", "as_tuple", "memory_format"}


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


@functools.lru_cache(maxsize=None)
def _native_functions():
    """{op name: [(schema, variants)]} from the native_functions.yaml that torch ships in
    torchgen: the file torch's Python bindings are generated from (`variants` says whether an
    overload is a torch.* function, a Tensor method or both; `function` when not given)."""
    import torchgen
    path = os.path.join(os.path.dirname(torchgen.__file__), "packaged", "ATen", "native",
                        "native_functions.yaml")
    table = {}
    with open(path) as f:
        entry = None
        for line in f:
            if line.startswith("- func:"):
                func = line[len("- func:"):].strip()
                entry = [func, {"function"}]
                table.setdefault(func.split("(")[0].split(".")[0], []).append(entry)
            elif entry is not None and line.startswith("  variants:"):
                entry[1] = {v.strip() for v in line.split(":", 1)[1].split("#")[0].split(",")}
    return table


def _schema_params(torch, tobj, ns):
    """Keyword names of a C++ builtin (torch.where, Tensor.sum, linalg.inv): the arguments of
    every overload of its op in native_functions.yaml that is bound as a function (torch.*,
    linalg.*) or as a method (Tensor), minus out= buffers; a function's `self` is `input` in
    Python, a method's is the tensor itself. None when `tobj` is not a builtin or has no
    entry."""
    if type(tobj).__name__ not in ("builtin_function_or_method", "method_descriptor"):
        return None
    variant = "method" if ns == "Tensor" else "function"
    names, found = [], False
    for func, variants in _native_functions().get(tobj.__name__, []):
        if variant not in variants:
            continue
        found = True
        for arg in torch._C.parse_schema("aten::" + func).arguments:
            if arg.kwarg_only and arg.alias_info is not None and arg.alias_info.is_write:
                continue                                          # out=, values=, indices=
            name = arg.name
            if name == "self":
                if ns == "Tensor":
                    continue
                name = "input"
            if name not in names:
                names.append(name)
    return names if found else None


def _torch_params(torch, tobj, lam, ns):
    """torch's parameter names of one callable (see the module docstring), None if unknown."""
    if isinstance(tobj, types.FunctionType):
        return _param_names(tobj)
    names = _schema_params(torch, tobj, ns)
    if names is None:
        names = _param_names(lam) if lam is not None else None
        # a Tensor method's lambda names the tensor too (`lambda input, dim=None: ...`)
        return names[1:] if names and ns == "Tensor" else names
    extras = [p for p in (_param_names(lam) if lam is not None else [])
              if p in _BINDING_EXTRAS and p not in names]
    return [p for p in names if p not in _SKIP_PARAMS] + extras


def _accepts(fn):
    """(names glasstorch's callable accepts, takes **kwargs) or None if not introspectable."""

    try:
        target = fn.__init__ if isinstance(fn, type) else fn
        sig = inspect.signature(target)
    except (TypeError, ValueError):
        return None
    # a *args or positional-only parameter's name is no keyword (`def view(self, *shape)`
    # rejects shape=...)
    names = {n for n, p in sig.parameters.items()
             if p.kind not in (p.VAR_POSITIONAL, p.POSITIONAL_ONLY)}
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
                rows.append((name, obj, _torch_params(torch, obj, lam, ns)))
            elif id(obj) in ignored and callable(obj) and not isinstance(obj, type):
                # no lambda, but a C++ factory's schema names its keywords (layout=...)
                params = _schema_params(torch, obj, ns)
                rows.append((name, obj, params and [p for p in params if p not in
                                                    _SKIP_PARAMS]))
        return rows
    mod = importlib.import_module("torch." + ns)
    for name in _public_names(mod):
        obj = getattr(mod, name, None)
        try:
            lam = overrides.get(obj)
        except TypeError:
            lam = None
        params = _torch_params(torch, obj, lam, ns) if lam is not None else (
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
        # a function's first parameter (the tensor: `input`, `A`, `x`) is passed positionally
        # and not compared; a Tensor method's params do not include the tensor
        first = params[:1] if ns != "Tensor" and not isinstance(tobj, type) else []
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
