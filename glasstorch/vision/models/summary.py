"""summary(model, input_size): each layer's output shape and parameter count, like torchinfo.

It runs one forward pass on zeros with a forward pre-hook (call order) and a forward hook
(output shape) on every submodule, then removes the hooks. A module called twice (a shared
ReLU) gets a row per call. `glasstorch summary MODEL` prints it for a zoo model.
"""
from ... import creation
from ...autograd.grad_mode import no_grad
from ...tensor import Tensor

__all__ = ["summary", "ModelSummary", "LayerRow"]

_RULE = "=" * 86


class LayerRow:
    """One module call: dotted `name`, `type` (class name), `depth` (0 = the model),
    `output_shape` (a list, or a list of lists for several outputs), `num_params` (its
    subtree's parameters) and `shown_children` (whether deeper rows are displayed)."""

    def __init__(self, name, module, depth):
        self.name, self.type, self.depth = name, type(module).__name__, depth
        self.num_params = sum(p.numel() for p in module.parameters())
        self.own_params = sum(p.numel() for p in module.parameters(recurse=False))
        self.output_shape, self.output_bytes, self.shown_children = None, 0, False


class ModelSummary:
    """The rows of summary() and the totals; str() is the table."""

    def __init__(self, model, rows, input_shape, input_bytes, depth):
        self.rows, self.input_shape, self.depth = rows, input_shape, depth
        self.input_bytes = input_bytes
        params = list(model.parameters())
        self.total_params = sum(p.numel() for p in params)
        self.trainable_params = sum(p.numel() for p in params if p.requires_grad)
        self.params_bytes = sum(p.numel() * p.element_size() for p in params)
        self.output_shape = rows[0].output_shape
        # activations the backward pass keeps: each leaf layer's output (and its gradient)
        self.activation_bytes = 2 * sum(r.output_bytes for r in rows if not r.shown_children
                                        and r.depth > 0)

    def __str__(self):
        lines = [_RULE, f"{'Layer (name: type)':<46}{'Output Shape':<26}{'Param #':>14}", _RULE]
        visible = [r for r in self.rows if r.depth <= self.depth]
        for i, row in enumerate(visible):
            label = row.type if row.depth == 0 else \
                f"{_tree(visible, i)}{row.name.rsplit('.', 1)[-1]}: {row.type}"
            if row.shown_children:
                params = f"{row.own_params:,}" if row.own_params else "--"
            else:
                params = f"{row.num_params:,}" if row.num_params else "--"
            lines.append(f"{label:<46}{_shape(row.output_shape):<26}{params:>14}")
        mb, input_bytes = 1024 ** 2, self.input_bytes
        lines += [_RULE,
                  f"Total params: {self.total_params:,}",
                  f"Trainable params: {self.trainable_params:,}",
                  f"Non-trainable params: {self.total_params - self.trainable_params:,}",
                  _RULE,
                  f"Input size (MB): {input_bytes / mb:.2f}",
                  f"Forward/backward pass size (MB): {self.activation_bytes / mb:.2f}",
                  f"Params size (MB): {self.params_bytes / mb:.2f}",
                  "Estimated Total Size (MB): "
                  f"{(input_bytes + self.activation_bytes + self.params_bytes) / mb:.2f}",
                  _RULE]
        return "\n".join(lines)


def _tree(rows, i):
    """The box-drawing prefix of row i: '│    ' for each open ancestor level, then '├─' or
    '└─' depending on whether a later sibling follows."""
    depth = rows[i].depth

    def continues(j, d):   # does a row at depth d come after j before the tree climbs above d?
        for row in rows[j + 1:]:
            if row.depth < d:
                return False
            if row.depth == d:
                return True
        return False
    prefix = "".join("│    " if continues(i, d) else "     " for d in range(1, depth))
    return prefix + ("├─" if continues(i, depth) else "└─")


def _shape(shape):
    if shape is None:
        return "--"
    if shape and isinstance(shape[0], list):
        return ", ".join(str(s) for s in shape)
    return str(shape)


def _output_info(out):
    """(shape list, bytes) of a module output: a Tensor or a tuple/list of Tensors."""
    if isinstance(out, Tensor):
        return list(out.shape), out.numel() * out.element_size()
    if isinstance(out, (tuple, list)):
        infos = [_output_info(o) for o in out if isinstance(o, (Tensor, tuple, list))]
        return [s for s, _ in infos], sum(b for _, b in infos)
    return None, 0


def summary(model, input_size, depth=3, dtype=None):
    """Run `model` on zeros of shape `input_size` (with the batch dim, e.g. (1, 1, 28, 28))
    in eval mode under no_grad and collect one LayerRow per module call.

    Args:
        model: an nn.Module.
        input_size: the input's full shape.
        depth: rows deeper than this are hidden (their parameters count in the row above).
        dtype: the input's dtype (default float32).
    Returns:
        ModelSummary: print it for the table; `.rows`, `.total_params`, `.output_shape`.
    """
    input_size = tuple(input_size)
    rows, handles, stack = [], [], []

    def pre_hook(module, args):
        name = names[module]
        row = LayerRow(name, module, 0 if module is model else name.count(".") + 1)
        rows.append(row)
        stack.append(row)

    def post_hook(module, args, out):
        row = stack.pop()
        row.output_shape, row.output_bytes = _output_info(out)

    names = {m: name for name, m in model.named_modules()}
    for module in names:
        handles.append(module.register_forward_pre_hook(pre_hook))
        handles.append(module.register_forward_hook(post_hook))
    x = creation.zeros(*input_size, **({"dtype": dtype} if dtype else {}))
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            model(x)
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    for i, row in enumerate(rows):
        row.shown_children = row.depth < depth and any(
            r.depth > row.depth for r in rows[i + 1:i + 2])
    return ModelSummary(model, rows, input_size, x.numel() * x.element_size(), depth)
