"""The kernel's side of a call from the grader: runs inside the sandbox.

The grader never runs a student's code itself. To check ``lstm_cell`` it asks the
kernel, with an ``execute_request`` whose ``user_expressions`` evaluate

    __import__("rnnlab.course.classroom.callee", fromlist=["call"]).call(globals(), request)

in the notebook's namespace; the expression's value is the reply, whose text form is
a :mod:`~rnnlab.course.classroom.wire` document. A request names the function and carries its
arguments; the reply holds what it returned (or what it raised) and the arguments
after the call, so that the grader sees a change made in place.

Nothing here is trusted: the student's code can replace any of it. The grader checks
every reply (``rnnlab.course.classroom.remote``) and decides the score itself.
"""

import inspect

from rnnlab.course.classroom import wire

MAX_MESSAGE = 2000  # characters of an exception's message sent back


class Reply:
    """A reply whose ``repr`` is its JSON text, as IPython's formatter sends it."""

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return self.text


def _error(error: BaseException) -> dict:
    """The exception's class name, message, and arguments when they are plain values
    (so that the grader rebuilds ``KeyError('W')``, whose message is ``'W'``)."""
    plain = all(isinstance(arg, str | int | float | bool | None) for arg in error.args)
    args = [arg[:MAX_MESSAGE] if isinstance(arg, str) else arg for arg in error.args[:4]]
    return {
        "type": type(error).__name__,
        "message": str(error)[:MAX_MESSAGE],
        "args": args if plain else [],
    }


def call(namespace: dict, request: str) -> Reply:
    """Call ``namespace[name](*args, **kwargs)`` as the request says; reply with
    ``{"returned": ..., "after": [args, kwargs]}`` or ``{"raised": {type, message}}``."""

    def resolve(name: str):
        return namespace[name]

    try:
        name, args, kwargs = wire.loads(request, resolve)
        result = namespace[name](*args, **kwargs)
        reply = {"returned": result, "after": [list(args), kwargs]}
    except BaseException as error:  # KeyboardInterrupt too: the grader's interrupt
        reply = {"raised": _error(error)}
    return Reply(_dumps(reply))


def _dumps(reply: dict) -> str:
    try:
        return wire.dumps(reply)
    except Exception as error:  # an array that cannot be saved, a str that is not UTF-8, ...
        return wire.dumps({"raised": _error(error)})


def describe(namespace: dict, names: list[str]) -> Reply:
    """What each name is in the notebook: ``{"function": [parameter names]}`` for a
    callable, ``{"value": value}`` for anything else; absent names are left out."""
    found = {}
    for name in names:
        if name not in namespace:
            continue
        value = namespace[name]
        if callable(value):
            found[name] = {"function": _parameters(value)}
        else:
            found[name] = {"value": value}
    return Reply(_dumps(found))


def _parameters(function) -> list[str]:
    try:
        return list(inspect.signature(function).parameters)
    except (TypeError, ValueError):
        return []


def request(name: str, args: tuple, kwargs: dict) -> str:
    """The request text for ``call`` (built by the grader)."""
    return wire.dumps([name, list(args), kwargs])


def expression(function: str, argument: str | list[str]) -> str:
    """The user expression that makes the kernel run ``function`` of this module."""
    return f"__import__({__name__!r}, fromlist=[{function!r}]).{function}(globals(), {argument!r})"
