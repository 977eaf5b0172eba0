"""The course secret, and the seed each graded notebook's hidden cases are drawn from.

The hidden checks must run on cases no student can predict, yet the same notebook
graded twice must meet the same cases. So the cases come from a seed derived from a
secret only the instructor has, the student, the assignment and the notebook's bytes:
an HMAC, which tells nothing of the secret even to a student who learns the seed.

The secret is ``$RNNLAB_COURSE_SECRET`` if set, else the content of the file
``course_secret`` in the course root (git-ignored: ``openssl rand -hex 32 >
course_secret``), else a default that is public. Even then no notebook can carry
answers to its own cases, which depend on the notebook's bytes; the secret makes them
unknowable before grading too. Keep it: with another secret, the hidden cases change.
"""

import hashlib
import hmac
import os
from pathlib import Path

FILE = "course_secret"
VARIABLE = "RNNLAB_COURSE_SECRET"
DEFAULT = b"rnnlab: no course secret set"


def course_secret(root: Path) -> tuple[bytes, str]:
    """The secret, and a note when it is the public default ("" otherwise)."""
    if os.environ.get(VARIABLE):
        return os.environ[VARIABLE].encode(), ""
    path = root / FILE
    if path.is_file():
        return path.read_bytes().strip(), ""
    return DEFAULT, (
        f"no course secret (${VARIABLE}, or a file {FILE} in the course root): the hidden "
        f"cases use the public default; make one with `openssl rand -hex 32 > {FILE}`"
    )


def case_seed(secret: bytes, student: str, assignment: str, notebook: bytes) -> int:
    """The seed of one notebook's hidden cases (64 bits)."""
    message = b"\0".join(
        [student.encode(), assignment.encode(), hashlib.sha256(notebook).digest()]
    )
    return int.from_bytes(hmac.new(secret, message, hashlib.sha256).digest()[:8], "big")
