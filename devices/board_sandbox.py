"""What student firmware may touch: its source is checked and rewritten, and it runs with a short list of
builtins and importable modules (``machine``, ``time``/``utime``, ``micropython``, ``math``, ``lcd_i2c``).

Checks at load: no name or attribute that starts with ``__`` (except ``__name__``), so the usual
escapes through ``__class__``/``__subclasses__``/``__globals__`` are refused; a bare ``except:`` is
rewritten to ``except Exception:`` so the board's own reset signals (``BaseException`` subclasses, a name
firmware cannot reach) always get through. There is no ``open``, ``eval``, ``exec``, ``compile``,
``globals``, ``vars`` or ``input``, and no module with file or network access. This keeps a student's code
inside the lab; it is not a security boundary against a deliberately hostile user on the same machine.
"""

from __future__ import annotations

import ast
import builtins

ALLOWED_DUNDER = {"__name__", "__init__"}
SAFE_BUILTINS = (
    "abs", "all", "any", "bin", "bool", "bytearray", "bytes", "callable", "chr", "classmethod", "dict", "divmod",
    "enumerate", "filter", "float", "format", "frozenset", "hasattr", "hash", "hex", "id", "int", "isinstance",
    "issubclass", "iter", "len", "list", "map", "max", "min", "next", "object", "oct", "ord", "pow", "property",
    "range", "repr", "reversed", "round", "set", "slice", "sorted", "staticmethod", "str", "sum", "super",
    "tuple", "type", "zip", "Exception", "ArithmeticError", "AssertionError", "AttributeError", "IndexError",
    "KeyError", "LookupError", "MemoryError", "NameError", "NotImplementedError", "OSError", "OverflowError",
    "RuntimeError", "StopIteration", "TypeError", "ValueError", "ZeroDivisionError", "__build_class__",
)


class FirmwareRejected(ValueError):
    """The source does not compile or uses something firmware may not."""


class _Rewrite(ast.NodeTransformer):
    def __init__(self, filename: str) -> None:
        self.filename = filename

    def _refuse(self, node, what: str):
        raise FirmwareRejected(f"{self.filename}:{node.lineno}: {what} is not available to firmware")

    def visit_Name(self, node):
        if node.id.startswith("__") and node.id not in ALLOWED_DUNDER:
            self._refuse(node, f"the name {node.id!r}")
        return node

    def visit_Attribute(self, node):
        if node.attr.startswith("__") and node.attr not in ALLOWED_DUNDER:
            self._refuse(node, f"the attribute {node.attr!r}")
        self.generic_visit(node)
        return node

    def visit_FunctionDef(self, node):
        if node.name.startswith("__") and node.name not in ALLOWED_DUNDER:
            self._refuse(node, f"the method name {node.name!r}")
        self.generic_visit(node)
        return node

    def visit_ExceptHandler(self, node):
        if node.type is None:
            node.type = ast.copy_location(ast.Name("Exception", ast.Load()), node)
        self.generic_visit(node)
        return node


def compile_firmware(source: str, filename: str):
    """The code object of a firmware file, or FirmwareRejected with file:line and the reason."""
    try:
        tree = ast.parse(source, filename)
    except SyntaxError as exc:
        raise FirmwareRejected(f"{filename}:{exc.lineno}: SyntaxError: {exc.msg}") from None
    tree = ast.fix_missing_locations(_Rewrite(filename).visit(tree))
    return compile(tree, filename, "exec")


def make_builtins(print_fn, import_fn, bound_size) -> dict:
    out = {name: getattr(builtins, name) for name in SAFE_BUILTINS}
    out["print"] = print_fn
    out["__import__"] = import_fn

    def getattr_(obj, name, *default):
        if str(name).startswith("_"):
            raise AttributeError(f"firmware may not read {name!r}")
        return getattr(obj, name, *default)

    def sized(kind):
        def make(*args, **kwargs):
            if args and isinstance(args[0], int):
                bound_size(args[0])
            return kind(*args, **kwargs)
        return make
    out["getattr"] = getattr_
    out["bytearray"], out["bytes"] = sized(bytearray), sized(bytes)
    return out

