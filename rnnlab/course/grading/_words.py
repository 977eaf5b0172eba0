"""The words of a mismatch: the one place a :class:`Mismatch` becomes a sentence.

Each kind has one template, filled from the mismatch's fields. The sentences name the
value first and need no verb agreement ("expected h of shape ...", "wrong values in
weights: ..."). Nothing reads these words back: diagnoses look at the kind and numbers.
"""

from rnnlab.course.grading._mismatch import Kind, Mismatch

TEMPLATES = {
    Kind.STRUCTURE: "expected {expected} as {what}, got {got}",
    Kind.ITEMS: "expected {what} to be {expected}, got {got}",
    Kind.NOT_AN_ARRAY: "expected {what} as a numpy array of shape {wanted}, got {got}",
    Kind.NUMBER_KIND: "expected {what} of {number_kind} ({dtype}), got dtype {got_dtype}",
    Kind.AXES_SWAPPED: "expected {what} of shape {wanted}, got shape {got_shape}: "
    "the axes are the other way round",
    Kind.REARRANGED: "expected {what} of shape {wanted}, got shape {got_shape}: "
    "the same number of entries, arranged differently",
    Kind.SHAPE: "expected {what} of shape {wanted}, got shape {got_shape}",
    Kind.DTYPE: "expected {what} in {dtype}, the dtype of the input, got {got_dtype}: "
    "compute in the input's dtype{precision}",
    Kind.NOT_FINITE: "expected finite values in {what}, got NaN or inf",
    Kind.VALUES: "wrong values in {what}: the largest difference is {largest:.3g} at {at} "
    "(expected {expected_value:.6g}, got {got_value:.6g})",
}


def sentence(mismatch: Mismatch) -> str:
    """The mismatch in words, for the student's message."""
    fields = vars(mismatch) | {
        "wanted": shape_text(mismatch.shape, mismatch.labels),
        "got_shape": str(mismatch.got_shape),
        "at": list(mismatch.at),
        "number_kind": "integers" if mismatch.dtype.startswith(("int", "uint")) else "floats",
        "precision": _precision(mismatch),
    }
    return TEMPLATES[mismatch.kind].format(**fields)


def _precision(mismatch: Mismatch) -> str:
    lower = mismatch.got_dtype == "float32" or mismatch.got_dtype == "float16"
    return " (yours loses precision)" if lower and mismatch.dtype == "float64" else ""


def shape_text(shape: tuple[int, ...], labels: str = "") -> str:
    """``(B, H) = (2, 5)`` from the shape and the book's symbols ``"B, H"``."""
    numbers = str(tuple(shape)).replace(",)", ")")
    return f"({labels}) = {numbers}" if labels else numbers
