"""The grader's side of a call into the sandboxed kernel: a proxy for each student function.

A test cell runs in the grader's process (``rnnlab.course.classroom.verdicts``); the names it
takes from the notebook (``lstm_cell``) are bound to :class:`Proxy` objects, and calling
one runs the student's function in the kernel (``rnnlab.course.classroom.callee``) on copies of
the arguments. What comes back is read as data only (``rnnlab.course.classroom.wire``): the
value returned, or the exception raised (rebuilt by its name, never unpickled), and the
arguments after the call, copied into the caller's arguments so that a change made in
place shows up where the checks look for it.

The kernel is not trusted: a reply that does not parse, a call past its time, or a
kernel that died is a :class:`CallFailedError`, which fails the test that made the call.
"""

import builtins
import inspect
import keyword
import time
from collections.abc import Callable

import numpy as np

from rnnlab.course.classroom import callee, wire

CALL_SECONDS = 60.0  # the most one call may take, whatever time the test cell has left


class CallFailedError(Exception):
    """The kernel did not answer a call properly: no reply in time, a dead kernel, or
    a reply that does not parse."""


class CellTimeoutError(CallFailedError):
    """A call ran past the time its test cell has (its name is nbgrader's, for a cell
    interrupted at the limit per cell)."""


class StudentError(Exception):
    """An exception raised by the student's code whose class is not a built-in one
    (the rebuilt exception's class carries the original name)."""


Evaluate = Callable[[str, float], str]  # (user expression, seconds) -> its text


class Remote:
    """The kernel of one notebook, seen from the grader.

    Args:
        evaluate: runs a user expression in the kernel and returns the text of its
            value; raises CallFailedError when that cannot be done.
    """

    def __init__(self, evaluate: Evaluate):
        self.evaluate = evaluate
        self.deadline = float("inf")  # set for each test cell (time.monotonic())

    def _seconds(self) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise CellTimeoutError("the time for this test cell ran out (an endless loop?)")
        return min(left, CALL_SECONDS)

    def call(self, name: str, args: tuple, kwargs: dict):
        """``name(*args, **kwargs)`` in the kernel: its result, or its exception raised."""
        request = callee.request(name, tuple(_sent(a) for a in args), _sent(kwargs))
        text = self.evaluate(callee.expression("call", request), self._seconds())
        reply = _read(text, "call")
        if "raised" in reply:
            raise rebuilt(reply["raised"])
        if "returned" not in reply:
            raise CallFailedError("the kernel's reply holds neither a result nor an error")
        after = reply.get("after")
        if isinstance(after, list) and len(after) == 2:
            write_back(list(args), after[0])
            write_back(kwargs, after[1])
        return reply["returned"]

    def lookup(self, names: list[str]) -> dict:
        """The notebook's value of each name that it defines: a :class:`Proxy` for a
        function, the value itself (as data) for anything else."""
        text = self.evaluate(callee.expression("describe", names), self._seconds())
        found = _read(text, "lookup")
        bound = {}
        for name in names:
            entry = found.get(name)
            if isinstance(entry, dict) and isinstance(entry.get("function"), list):
                bound[name] = Proxy(self, name, entry["function"])
            elif isinstance(entry, dict) and "value" in entry:
                bound[name] = entry["value"]
        return bound


def _sent(value):
    """``value`` as it is sent: a proxy travels as a reference to the kernel's function."""
    if isinstance(value, Proxy):
        return wire.Ref(value.__name__)
    if isinstance(value, list | tuple):
        return type(value)(_sent(item) for item in value)
    if isinstance(value, dict):
        return {key: _sent(item) for key, item in value.items()}
    return value


def _read(text: str, what: str) -> dict:
    if not isinstance(text, str):
        raise CallFailedError(f"the kernel's reply to a {what} is not text")
    try:
        reply = wire.loads(text)  # no reference to a function: only data comes back
    except wire.WireError as error:
        raise CallFailedError(
            f"the kernel's reply to a {what} could not be read: {error}"
        ) from None
    if not isinstance(reply, dict):
        raise CallFailedError(f"the kernel's reply to a {what} is not a record")
    return reply


def rebuilt(raised) -> Exception:
    """The exception the student's code raised, rebuilt from its name, arguments and
    message: a built-in class when there is one (so ``except ValueError`` still works),
    else a :class:`StudentError` subclass of the same name."""
    if not isinstance(raised, dict):
        return CallFailedError("the kernel's reply names an error it does not describe")
    name, message = str(raised.get("type", "Error"))[:60], str(raised.get("message", ""))
    args = raised.get("args") if isinstance(raised.get("args"), list) else []
    cls = getattr(builtins, name, None)
    if isinstance(cls, type) and issubclass(cls, Exception) and cls is not StopIteration:
        for candidate in (args, [message]):
            try:
                error = cls(*candidate)
            except TypeError:  # UnicodeDecodeError and friends take other arguments
                continue
            if str(error) == message:
                return error
    if not name.isidentifier() or keyword.iskeyword(name):
        name = "StudentError"
    return type(name, (StudentError,), {})(message)


def write_back(target, after) -> None:
    """Copy what the kernel's call left in its arguments into the caller's ``target``."""
    if isinstance(target, np.ndarray):
        if (
            isinstance(after, np.ndarray)
            and after.shape == target.shape
            and target.flags.writeable
        ):
            np.copyto(target, after, casting="unsafe")
    elif isinstance(target, dict) and isinstance(after, dict):
        for key in list(target):
            if key not in after:
                del target[key]
        for key, value in after.items():
            if key in target and _mutable(target[key]):
                write_back(target[key], value)
            else:
                target[key] = value
    elif isinstance(target, list | tuple) and isinstance(after, list | tuple):
        for k, (mine, theirs) in enumerate(zip(target, after, strict=False)):
            if _mutable(mine):
                write_back(mine, theirs)
            elif isinstance(target, list):
                target[k] = theirs
        if isinstance(target, list) and len(target) != len(after):
            target[:] = after


def _mutable(value) -> bool:
    return isinstance(value, np.ndarray | dict | list | tuple)


class Proxy:
    """Calls the notebook's function ``name`` in the kernel; looks like it to the checks
    (its ``__name__`` and parameter names)."""

    remote = True  # the checks need not switch rnnlab off: the call runs elsewhere

    def __init__(self, remote: Remote, name: str, parameters: list):
        self._remote = remote
        self.__name__ = self.__qualname__ = name
        self.__signature__ = _signature(parameters)

    def __call__(self, *args, **kwargs):
        return self._remote.call(self.__name__, args, kwargs)

    def __repr__(self) -> str:
        return f"<function {self.__name__} (in the notebook's kernel)>"


def _signature(parameters: list) -> inspect.Signature:
    names = [p for p in parameters[:32] if isinstance(p, str) and p.isidentifier()]
    if len(set(names)) != len(names) or any(keyword.iskeyword(n) for n in names):
        names = []
    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    return inspect.Signature([inspect.Parameter(name, kind) for name in names])
