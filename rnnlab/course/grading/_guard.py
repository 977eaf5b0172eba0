"""Switch rnnlab's reference implementations off while a student's function runs.

A graded function that just calls ``rnnlab.lstm.cell`` would pass every check, so while
the student's code runs every function of rnnlab's model modules (``rnn``, ``lstm``,
``variants``, ``gru``, ``attention``, the data pipeline, the torch bridge, and their
private helpers such as ``rnnlab.lstm._run``) has its code swapped for a stub that
raises :class:`ReferenceUsedError`. Swapping ``__code__`` rather than the module attribute
also catches names bound earlier (``from rnnlab.lstm import cell``). Everything is put
back when the student's function returns or raises.

Modules that hold no model stay usable: the activations, input validation, the
initialisation, and the grading code itself.
"""

import contextlib
import importlib
import sys
import types
from collections.abc import Iterator

# Imported before switching off, so that a module imported inside the student's function
# is not missed.
MODEL_MODULES = (
    "rnnlab.rnn",
    "rnnlab.lstm",
    "rnnlab.gru",
    "rnnlab.variants",
    "rnnlab.attention",
    "rnnlab._unroll",
    "rnnlab.torch_bridge",
    "rnnlab.data.text",
    "rnnlab.data.dates",
)
ALLOWED = (
    "rnnlab.activations",
    "rnnlab._validate",
    "rnnlab.init",
    "rnnlab.variant_spec",
    "rnnlab.course.",
)

_STUB = (
    "def stub(*args, **kwargs):\n"
    "    raise __import__('rnnlab.course.grading._guard', fromlist=['ReferenceUsedError'])"
    ".ReferenceUsedError({name!r})\n"
)


class ReferenceUsedError(Exception):
    """Raised when a graded function calls the rnnlab reference."""

    def __init__(self, name: str):
        super().__init__(f"{name} is switched off while your function is checked")
        self.name = name
        _calls.append(name)


_calls: list[str] = []
_depth = 0
_stubs: dict[str, types.CodeType] = {}


def _guarded(name: str) -> bool:
    return name.startswith("rnnlab.") and not name.startswith(ALLOWED)


def _functions() -> Iterator[tuple[str, types.FunctionType]]:
    """Every plain function of the guarded rnnlab modules loaded now (methods included)."""
    for module_name, module in list(sys.modules.items()):
        if module is None or not _guarded(module_name):
            continue
        for obj in list(vars(module).values()):
            if getattr(obj, "__module__", None) != module_name:
                continue
            members = vars(obj).values() if isinstance(obj, type) else (obj,)
            for member in members:
                function = _unwrap(member)
                name = getattr(function, "__name__", "")
                if function is not None and not (name.startswith("__") and name != "__init__"):
                    yield f"{module_name}.{function.__qualname__}", function


def _unwrap(obj) -> types.FunctionType | None:
    """The function behind ``obj`` (a function, method, property or cached function)."""
    if isinstance(obj, staticmethod | classmethod):
        obj = obj.__func__
    elif isinstance(obj, property):
        obj = obj.fget
    obj = getattr(obj, "__wrapped__", obj)  # functools.cache and friends
    if isinstance(obj, types.FunctionType) and not obj.__closure__:
        return obj
    return None


def _stub(name: str, function: types.FunctionType) -> types.CodeType:
    if name not in _stubs:
        namespace: dict = {}
        exec(_STUB.format(name=name), namespace)
        code = namespace["stub"].__code__
        _stubs[name] = code.replace(co_name=function.__name__, co_qualname=function.__qualname__)
    return _stubs[name]


@contextlib.contextmanager
def reference_off() -> Iterator[list[str]]:
    """While active, calling a guarded rnnlab function raises :class:`ReferenceUsedError`.

    Yields the list of reference functions the code called (filled as it runs), so a
    call whose error the student's code swallowed is still seen.
    """
    global _depth
    if _depth:  # already off: an outer guard restores everything
        yield _calls
        return
    for module in MODEL_MODULES:
        importlib.import_module(module)
    saved = [(f, f.__code__, f.__defaults__, f.__kwdefaults__) for _, f in _functions()]
    del _calls[:]
    _depth += 1
    try:
        for function, _, _, _ in saved:
            stub = _stub(f"{function.__module__}.{function.__qualname__}", function)
            function.__defaults__, function.__kwdefaults__ = None, None
            function.__code__ = stub
        yield _calls
    finally:
        for function, code, defaults, kwdefaults in saved:
            function.__code__ = code
            function.__defaults__, function.__kwdefaults__ = defaults, kwdefaults
        _depth -= 1
