"""What every extracted chapter script (extract.py's output) shares: d2lbook's tab selector and
the notebook-like runner of its cells. A chapter script holds only its CELLS and calls main()."""
import ast
import types

# d2lbook's tab selector, as the book's PyTorch build resolves it: `if tab.selected(...)`
# blocks run when 'pytorch' is among their tabs
tab = types.SimpleNamespace(selected=lambda *tabs: "pytorch" in tabs)


def _run(source, env):
    """Run one cell in env; print the repr of its last expression, as a notebook shows it."""
    tree = ast.parse(source)
    last = tree.body[-1] if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    if last is not None:
        tree.body.pop()
    exec(compile(tree, "<cell>", "exec"), env)
    if last is not None:
        value = eval(compile(ast.Expression(last.value), "<cell>", "eval"), env)
        if value is not None:
            print(repr(value))


def main(cells):
    env = {"__name__": "__main__", "tab": tab}
    for i, cell in enumerate(cells):
        print(f"--- cell {i}")
        _run(cell, env)
