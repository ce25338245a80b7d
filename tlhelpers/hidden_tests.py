"""What nbgrader's hidden tests use: a fresh copy of the course's code, and plain values of the answers.

A hidden test runs in the student's kernel, after the student's code, so whatever that code did is still
there: builtins replaced (``builtins.abs = lambda x: 0``), checkers replaced
(``exercise_checks.check_x = lambda *a: True``), answers whose ``==`` is always true. So a hidden test
starts with::

    from tlhelpers.hidden_tests import fresh; plain = fresh()

and compares only what ``plain`` returns. :func:`fresh` gives a new copy of this module, executed from its
file with the builtins captured when the kernel started (the grader's kernel imports this module before the
first cell runs) and with an ``__import__`` that loads every ``tlhelpers`` module afresh from its file too
(:func:`load`). Its functions check the answer's type first — exactly ``float``, ``int``, ``str``, ``list``,
``torch.Tensor``, not a subclass — and return builtin values (``float``, ``int``, ``str``, tuples), so a
comparison is made by the builtin types, not by the student's objects.

What this does not stop (README, "Grading a class"): code that replaces this module in ``sys.modules``
before it is imported, the import system or IPython's own machinery, or reaches the captured builtins
through the garbage collector. The sandbox keeps such code from doing harm outside its kernel; reading the
feedback of a suspicious full score is the remedy.
"""

from __future__ import annotations

import builtins

# The builtins when this module was first imported; in a fresh copy, the ones it was given.
_PRISTINE = dict(__builtins__ if isinstance(__builtins__, dict) else vars(builtins))
_REAL_IMPORT = _PRISTINE.pop("__real_import__", _PRISTINE["__import__"])
_PACKAGE = __file__.replace("\\", "/").rpartition("/")[0]  # no os.path: the stdlib sees the patched builtins


def _fresh_importer(cache: dict):
    real_import = _REAL_IMPORT

    def fresh_import(name, globals=None, locals=None, fromlist=(), level=0):
        if level == 0 and (name == "tlhelpers" or name.startswith("tlhelpers.")):
            leaf = load(name, cache)
            if fromlist:
                return leaf
            return load("tlhelpers", cache)  # `import tlhelpers.x` binds the package, with .x set by load
        return real_import(name, globals, locals, fromlist, level)

    return fresh_import


def _source(parts: list) -> tuple:
    """(path, is a package, source text) of the tlhelpers module named by ``parts``, read with the captured open."""
    base = _PACKAGE + "".join("/" + part for part in parts[1:])
    for path, package in ((base + "/__init__.py", True), (base + ".py", False)):
        try:
            with _PRISTINE["open"](path, encoding="utf-8") as handle:
                return path, package, handle.read()
        except OSError:
            continue
    raise ImportError(f"no tlhelpers module {'.'.join(parts)!r}")


def load(name: str, cache: dict | None = None):
    """A new copy of the tlhelpers module (or a module of a sub-package) ``name``, run from its file with the captured
    builtins."""
    cache = {} if cache is None else cache
    if name in cache:
        return cache[name]
    parts = name.split(".")
    if parts[0] != "tlhelpers":
        raise ImportError(f"load() takes tlhelpers or a module inside it, not {name!r}")
    path, package, text = _source(parts)
    module = _PRISTINE["type"](builtins)(name)  # a new module object
    module.__file__ = path
    if package:
        module.__path__ = [path.rpartition("/")[0]]
    namespace = _PRISTINE["dict"](_PRISTINE)
    namespace["__import__"], namespace["__real_import__"] = _fresh_importer(cache), _REAL_IMPORT
    module.__builtins__ = namespace
    cache[name] = module
    if len(parts) > 1:  # the parent package first, as the import system does
        parent = load(".".join(parts[:-1]), cache)
    modules = _REAL_IMPORT("sys").modules  # dataclasses look their module up there while the class is made
    previous = modules.get(name)
    modules[name] = module
    try:
        _PRISTINE["exec"](_PRISTINE["compile"](text, path, "exec"), vars(module))
    finally:  # the kernel's own module goes back: the fresh copy lives only in ``cache``
        if previous is None:
            modules.pop(name, None)
        else:
            modules[name] = previous
    if len(parts) > 1:
        _PRISTINE["setattr"](parent, parts[-1], module)
    return module


def fresh():
    """A new copy of this module (see the module's docstring): what a hidden test compares with."""
    return load("tlhelpers.hidden_tests")


def _one_of(kind, kinds) -> bool:
    for candidate in kinds:  # `is`, not `in`: a metaclass can make a type "==" any other
        if kind is candidate:
            return True
    return False


def _exact(answer, kinds, what: str):
    if not _one_of(type(answer), kinds):
        raise AssertionError(f"expected {what}, got {type(answer).__name__}")
    return answer


def _numpy_scalars(prefixes: tuple) -> list:
    import numpy

    return [
        getattr(numpy, name)
        for name in (
            "float16",
            "float32",
            "float64",
            "int8",
            "int16",
            "int32",
            "int64",
            "uint8",
            "uint16",
            "uint32",
            "uint64",
        )
        if name.startswith(prefixes)
    ]


def number(answer) -> float:
    """The answer as a float: an int or float, a NumPy scalar or a one-element torch tensor (exact types)."""
    kind = type(answer)
    if _one_of(kind, (int, float)):
        return float(answer)
    if _one_of(kind, _numpy_scalars(("float", "int", "uint"))):
        return float(answer.item())  # NumPy's scalar types are immutable: .item() is NumPy's
    import torch

    if kind is torch.Tensor and torch._C.TensorBase.numel(answer) == 1:
        return float(torch._C.TensorBase.item(answer))
    raise AssertionError(f"expected a number, got {kind.__name__}")


def integer(answer) -> int:
    """The answer as an int (exactly an int, or a NumPy integer)."""
    kind = type(answer)
    if kind is int:
        return answer
    if _one_of(kind, _numpy_scalars(("int", "uint"))):
        return int(answer.item())
    raise AssertionError(f"expected an int, got {kind.__name__}")


def text(answer) -> str:
    """The answer, exactly a str."""
    return _exact(answer, (str,), "a str")


def texts(answer) -> tuple:
    """A list or tuple of str, as a tuple of str."""
    return tuple(text(item) for item in _exact(answer, (list, tuple), "a list or tuple"))


def numbers(answer) -> tuple:
    """A list or tuple of numbers, as a tuple of float."""
    return tuple(number(item) for item in sequence(answer))


def integers(answer) -> tuple:
    """A list or tuple of ints, as a tuple of int."""
    return tuple(integer(item) for item in sequence(answer))


def sequence(answer) -> tuple:
    """Exactly a list or tuple, as a tuple of its items (not compared here: the caller reads each one plainly)."""
    return tuple(_exact(answer, (list, tuple), "a list or tuple"))


def mapping(answer) -> dict:
    """Exactly a dict."""
    return _exact(answer, (dict,), "a dict")


def length(answer) -> int:
    """The number of items of a list or tuple."""
    return len(sequence(answer))


def first_minimum(answer) -> int:
    """The 0-based position of the first smallest number of a list or tuple."""
    values = numbers(answer)
    return values.index(min(values))


def numel(tensors) -> int:
    """The number of elements in a list or tuple of tensors (each read by torch's own C type)."""
    total = 0
    for tensor in sequence(tensors):
        count = 1
        for size in shape(tensor):
            count *= size
        total += count
    return total


def close(answer, expected: float, tol: float) -> bool:
    """``number(answer)`` within ``tol`` of ``expected``."""
    value = number(answer)
    return expected - tol <= value <= expected + tol


def shape(tensor) -> tuple:
    """The shape of a torch tensor or parameter (exact types), read by torch's own C type."""
    import torch

    if not _one_of(type(tensor), (torch.Tensor, torch.nn.Parameter)):
        raise AssertionError(f"expected a tensor, got {type(tensor).__name__}")
    return tuple(int(size) for size in torch._C.TensorBase.size(tensor))


def trainable(tensor) -> bool:
    """Whether a parameter requires grad, read by torch's own C type."""
    shape(tensor)
    import torch

    return bool(torch._C.TensorBase.requires_grad.__get__(tensor))


def type_name(obj) -> str:
    """The full name of the object's exact type, e.g. "torch.nn.modules.linear.Linear"."""
    kind = type(obj)
    return f"{kind.__module__}.{kind.__qualname__}"


def passed(result) -> bool:
    """Whether a :class:`tlhelpers.checks.CheckResult` says "correct" (its status, compared as a str)."""
    status = getattr(result, "status", None)
    return type(status) is str and status == "correct"
