"""Finding each student's notebooks in a class folder: layouts, zips, broken files."""

import os
import pickle
import signal
import stat
import zipfile
from contextlib import contextmanager
from pathlib import Path

import nbformat
import pytest
from toy_course import ASSIGNMENT, hand_in, student

from rnnlab.course.classroom.collect import check_notebook, collect

KNOWN = [ASSIGNMENT, "ex_other"]


def _by_student(found):
    return {s.student: s for s in found.submissions}


def test_flat_nested_and_zipped_submissions_are_all_found(tmp_path):
    nb = student()
    hand_in(tmp_path, "alice", nb, layout="flat")
    hand_in(tmp_path, "bob", nb, layout="nested")
    hand_in(tmp_path, "carol", nb, layout="zip")
    with zipfile.ZipFile(tmp_path / "dave.zip", "w") as zf:  # a zip of the student's folder
        zf.writestr(f"dave/{ASSIGNMENT}.ipynb", nbformat.writes(nb))

    found = _by_student(collect(tmp_path, KNOWN))

    assert sorted(found) == ["alice", "bob", "carol", "dave"]
    for submission in found.values():
        assert submission.status == "submitted"
        assert submission.assignment == ASSIGNMENT
        assert nbformat.reads(submission.content.decode(), 4) == nb


def test_only_assignments_someone_submitted_are_graded_and_others_count_as_missing(tmp_path):
    hand_in(tmp_path, "alice", student())
    hand_in(tmp_path, "alice", student(), assignment="ex_other")
    hand_in(tmp_path, "bob", student())

    found = collect(tmp_path, KNOWN).submissions
    pairs = {(s.student, s.assignment): s for s in found}

    assert list(pairs) == [
        ("alice", "ex_other"),
        ("alice", ASSIGNMENT),
        ("bob", "ex_other"),
        ("bob", ASSIGNMENT),
    ]
    assert pairs["bob", "ex_other"].status == "missing"
    assert pairs["bob", "ex_other"].content is None
    assert "no ex_other.ipynb" in pairs["bob", "ex_other"].reason


def test_a_misnamed_notebook_is_missing_and_the_reason_lists_what_was_found(tmp_path):
    hand_in(tmp_path, "alice", student())
    hand_in(tmp_path, "gina", student(), assignment="ex-toy (1)")

    found = _by_student(collect(tmp_path, KNOWN))

    assert found["gina"].status == "missing"
    assert "ex-toy (1).ipynb" in found["gina"].reason
    assert found["alice"].status == "submitted"


def test_invalid_json_and_a_broken_zip_are_invalid_with_the_reason(tmp_path):
    hand_in(tmp_path, "alice", student())
    hand_in(tmp_path, "dave", b'{"cells": [')
    (tmp_path / "erin.zip").write_bytes(b"not a zip at all")

    found = _by_student(collect(tmp_path, KNOWN))

    assert found["dave"].status == "invalid"
    assert "invalid JSON" in found["dave"].reason
    assert found["erin"].status == "invalid"
    assert "erin.zip is not a readable zip file" in found["erin"].reason


def test_checkpoints_and_hidden_folders_are_ignored(tmp_path):
    hand_in(tmp_path, "alice", student())
    for hidden in (".ipynb_checkpoints", ".git", "__MACOSX"):
        (tmp_path / "alice" / hidden).mkdir()
        (tmp_path / "alice" / hidden / f"{ASSIGNMENT}.ipynb").write_text("{broken")

    (submission,) = collect(tmp_path, KNOWN).submissions

    assert submission.status == "submitted"


def test_two_copies_of_a_notebook_grade_the_shallower_one_and_say_so(tmp_path):
    hand_in(tmp_path, "alice", student(), layout="flat")
    hand_in(tmp_path, "alice", b"{}", layout="nested")

    found = collect(tmp_path, KNOWN)

    assert found.submissions[0].status == "submitted"
    assert any("ignored ex_toy/ex_toy.ipynb" in note for note in found.notes)


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"\xff\xfe", "not UTF-8"),
        (b"[1, 2]", "no list of cells"),
        (b'{"cells": [], "nbformat": 3}', "format 4"),
        (b'{"cells": [', "invalid JSON"),
    ],
)
def test_check_notebook_names_what_is_wrong(content, words):
    assert words in check_notebook(content)


def test_check_notebook_accepts_a_real_notebook():
    assert check_notebook(nbformat.writes(student()).encode()) == ""


def test_a_notebook_larger_than_the_limit_is_refused_without_reading_it(tmp_path, monkeypatch):
    monkeypatch.setattr("rnnlab.course.classroom.collect.MAX_BYTES", 10)
    hand_in(tmp_path, "alice", student())

    (submission,) = collect(tmp_path, KNOWN).submissions

    assert submission.status == "invalid"
    assert "larger than 10 bytes" in submission.reason


def test_a_student_name_nbgrader_would_read_as_a_pattern_is_invalid(tmp_path):
    hand_in(tmp_path, "alice", student())
    hand_in(tmp_path, "bob[1]", student())

    found = _by_student(collect(tmp_path, KNOWN))

    assert found["bob[1]"].status == "invalid"
    assert "rename it" in found["bob[1]"].reason
    assert found["alice"].status == "submitted"


# Bad input is one student's problem, never the run's: each test below builds the real
# thing in the class folder next to an honest student, who must still be collected.


def _honest(folder):
    """alice hands in a good notebook; returns it, to compare with what is collected."""
    nb = student()
    hand_in(folder, "alice", nb)
    return nb


def _assert_collected(found, nb):
    """alice's notebook is collected as she handed it in."""
    (submission,) = [
        s for s in found.submissions if (s.student, s.assignment) == ("alice", ASSIGNMENT)
    ]
    assert submission.status == "submitted"
    assert nbformat.reads(submission.content.decode(), 4) == nb


@contextmanager
def _within(seconds):
    """Fail instead of hanging: a FIFO opened for reading blocks until a writer comes."""

    def stop(signum, frame):
        raise TimeoutError(f"still blocked after {seconds} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_json_nested_100000_deep_is_invalid_not_a_recursion_error(tmp_path):
    nb = _honest(tmp_path)
    hand_in(tmp_path, "dave", b"[" * 100_000 + b"]" * 100_000)

    found = collect(tmp_path, KNOWN)

    assert _by_student(found)["dave"].status == "invalid"
    assert "nested too deeply" in _by_student(found)["dave"].reason
    _assert_collected(found, nb)


def test_check_notebook_turns_any_parser_error_into_a_reason():
    number = b'{"nbformat": ' + b"1" * 5000 + b"}"  # past Python's digit limit: ValueError

    assert "the JSON cannot be read" in check_notebook(number)
    assert "nested too deeply" in check_notebook(b'{"cells": ' + b"[" * 100_000)


def test_an_nbformat_3_notebook_is_invalid_with_one_plain_line(tmp_path):
    nb = _honest(tmp_path)
    old = nbformat.writes(nbformat.convert(student(), 3), version=3)
    hand_in(tmp_path, "dave", old.encode())

    found = collect(tmp_path, KNOWN)

    dave = _by_student(found)["dave"]
    assert dave.status == "invalid"
    assert "not a notebook in format 4 (nbformat=3)" in dave.reason
    assert "save it in Jupyter" in dave.reason
    assert "\n" not in dave.reason
    _assert_collected(found, nb)


MEMBER = f"{ASSIGNMENT}/{ASSIGNMENT}.ipynb"
# Offsets of the fields patched below in a zip's local and central headers.
HEADERS = {
    b"PK\x03\x04": {"flags": 6, "method": 8, "size": 22},
    b"PK\x01\x02": {"flags": 8, "method": 10, "size": 24},
}


def _zip(path, content, method=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", method) as zf:
        zf.writestr(MEMBER, content)


def _patch(path, field, change):
    """Rewrite a 2- or 4-byte field of the (only) member in both of its headers."""
    data = bytearray(path.read_bytes())
    width = 4 if field == "size" else 2
    for signature, offsets in HEADERS.items():
        at = data.index(signature) + offsets[field]
        old = int.from_bytes(data[at : at + width], "little")
        data[at : at + width] = change(old).to_bytes(width, "little")
    path.write_bytes(bytes(data))


def _bad_crc(path, content):
    _zip(path, content)
    data = bytearray(path.read_bytes())
    data[data.index(content) + 10] ^= 0xFF  # stored: these are the compressed bytes
    path.write_bytes(bytes(data))


def _encrypted(path, content):
    _zip(path, content)
    _patch(path, "flags", lambda flags: flags | 0x1)


def _unknown_method(path, content):
    _zip(path, content)
    _patch(path, "method", lambda method: 99)


def _bzip2(path, content):
    _zip(path, content, zipfile.ZIP_BZIP2)


def _truncated(path, content):
    _zip(path, content)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _bomb(path, content):
    """1 MB of JSON whitespace deflated to about 1 kB, declared as 100 bytes."""
    _zip(path, content + b" " * 2**20, zipfile.ZIP_DEFLATED)
    _patch(path, "size", lambda size: 100)


@pytest.mark.parametrize(
    ("damage", "words"),
    [
        (_bad_crc, "cannot be read (Bad CRC-32"),
        (_encrypted, "is encrypted; hand in a zip without a password"),
        (_unknown_method, "compressed with method 99"),
        (_bzip2, "compressed with method 12"),  # bzip2 bombs cannot be bounded
        (_truncated, "carol.zip is not a readable zip file"),
        (_bomb, "cannot be read (Bad CRC-32"),  # read as declared, not 1 MB
    ],
)
def test_a_damaged_zip_is_invalid_for_that_student_only(tmp_path, monkeypatch, damage, words):
    monkeypatch.setattr("rnnlab.course.classroom.collect.MAX_BYTES", 2**16)
    nb = _honest(tmp_path)
    damage(tmp_path / "carol.zip", nbformat.writes(student()).encode())

    found = collect(tmp_path, KNOWN)

    assert _by_student(found)["carol"].status == "invalid"
    assert words in _by_student(found)["carol"].reason
    _assert_collected(found, nb)


def test_a_zip_member_larger_than_the_limit_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr("rnnlab.course.classroom.collect.MAX_BYTES", 2**16)
    nb = _honest(tmp_path)
    _zip(tmp_path / "carol.zip", b" " * (2**16 + 1), zipfile.ZIP_DEFLATED)

    found = collect(tmp_path, KNOWN)

    assert (
        f"{MEMBER} in carol.zip is larger than 65536 bytes" in _by_student(found)["carol"].reason
    )
    _assert_collected(found, nb)


BAD_NAMES = [
    "x" * 253,  # too long for submitted/<student>/..., logs/<assignment>/<student>.log
    "bob\x01",  # a control character
    "bob\u2215etc",  # DIVISION SLASH, a look-alike of /
    "bob smith",
    "...",  # no hidden file: a badly named folder
    "-rf",
    "josé",
]


def test_a_name_that_is_no_usable_student_id_is_invalid_for_every_assignment(tmp_path):
    nb = _honest(tmp_path)
    hand_in(tmp_path, "alice", student(), assignment="ex_other")
    for name in BAD_NAMES:
        hand_in(tmp_path, name, student())
    _zip(tmp_path / "..zip", nbformat.writes(student()))  # a zip of the student "."

    found = collect(tmp_path, KNOWN)

    bad = [s for s in found.submissions if s.student != "alice"]
    assert len(bad) == 2 * (len(BAD_NAMES) + 1)
    for submission in bad:
        assert submission.status == "invalid"
        assert "is not a usable student id (1 to 64 ASCII letters" in submission.reason
        assert "rename it" in submission.reason
    reasons = " ".join(s.reason for s in bad)
    assert "'xxxxxxxxxxxxxxxxxxxxxxxx…xxxxxxxx' (253 characters)" in reasons
    assert all(f"the name {name!r} is not" in reasons for name in BAD_NAMES[1:] + ["."])
    _assert_collected(found, nb)


def test_every_student_column_can_be_a_folder_name_and_a_gradebook_key(tmp_path):
    for name in BAD_NAMES:
        hand_in(tmp_path, name, student())
    _zip(tmp_path / "...zip", nbformat.writes(student()))  # the student ".."

    found = collect(tmp_path, KNOWN, only=[ASSIGNMENT])

    names = [s.student for s in found.submissions]
    assert len(set(names)) == len(BAD_NAMES) + 1
    for name in names:
        assert name.isprintable() and 0 < len(name) <= 64 and name not in (".", "..")


def test_hidden_entries_are_ignored_with_a_note_and_three_dots_is_not_hidden(tmp_path):
    nb = _honest(tmp_path)
    (tmp_path / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    for hidden in (".git", "__MACOSX", ".ipynb_checkpoints"):
        hand_in(tmp_path, hidden, b"{broken")
    hand_in(tmp_path, "...", student())

    found = collect(tmp_path, KNOWN)

    for hidden in (".DS_Store", ".git", "__MACOSX", ".ipynb_checkpoints"):
        assert f"ignored {hidden}: hidden" in found.notes
    assert _by_student(found)["..."].status == "invalid"
    assert sorted(_by_student(found)) == ["...", "alice"]
    _assert_collected(found, nb)


SECRET = "the instructor's answer, never to be graded as a student's"


def _solutions(tmp_path):
    """A solutions folder beside the class folder, whose notebook holds SECRET."""
    solved = student()
    solved.cells[1].source += f"\n# {SECRET}"
    folder = tmp_path / "solutions" / ASSIGNMENT
    folder.mkdir(parents=True)
    nbformat.write(solved, folder / f"{ASSIGNMENT}.ipynb")
    return folder


def test_symbolic_links_are_refused_wherever_they_are(tmp_path):
    solutions, folder = _solutions(tmp_path), tmp_path / "class"
    nb = _honest(folder)
    (folder / "bob").mkdir()
    (folder / "bob" / f"{ASSIGNMENT}.ipynb").symlink_to(solutions / f"{ASSIGNMENT}.ipynb")
    (folder / "carol").mkdir()
    (folder / "carol" / ASSIGNMENT).symlink_to(solutions, target_is_directory=True)
    (folder / "dave").symlink_to(solutions, target_is_directory=True)
    with zipfile.ZipFile(folder / "erin.zip", "w") as zf:
        link = zipfile.ZipInfo(f"{ASSIGNMENT}.ipynb")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(link, str(solutions / f"{ASSIGNMENT}.ipynb"))

    found = collect(folder, KNOWN)

    reasons = {s.student: s.reason for s in found.submissions if s.status == "invalid"}
    assert reasons == {
        "bob": f"bob/{ASSIGNMENT}.ipynb is a symbolic link; hand in the file itself",
        "carol": f"carol/{ASSIGNMENT} is a symbolic link; hand in the file itself",
        "dave": "dave is a symbolic link; hand in the file itself",
        "erin": f"{ASSIGNMENT}.ipynb in erin.zip is a symbolic link; hand in the file itself",
    }
    _assert_collected(found, nb)


def test_a_link_into_solutions_is_never_graded_as_the_students_work(tmp_path):
    solutions, folder = _solutions(tmp_path), tmp_path / "class"
    nb = _honest(folder)
    (folder / "bob").mkdir()
    (folder / "bob" / f"{ASSIGNMENT}.ipynb").symlink_to(solutions / f"{ASSIGNMENT}.ipynb")
    (folder / "carol").symlink_to(solutions, target_is_directory=True)

    found = collect(folder, KNOWN)

    assert [s.student for s in found.submissions if s.content is not None] == ["alice"]
    assert not any(SECRET.encode() in (s.content or b"") for s in found.submissions)
    assert not any(SECRET in s.reason for s in found.submissions)
    _assert_collected(found, nb)


def test_a_fifo_named_like_a_notebook_is_refused_without_blocking(tmp_path):
    nb = _honest(tmp_path)
    (tmp_path / "bob").mkdir()
    os.mkfifo(tmp_path / "bob" / f"{ASSIGNMENT}.ipynb")
    os.mkfifo(tmp_path / "carol.zip")

    with _within(10):
        found = collect(tmp_path, KNOWN)

    by_student = _by_student(found)
    assert by_student["bob"].status == by_student["carol"].status == "invalid"
    assert (
        f"bob/{ASSIGNMENT}.ipynb is not a regular file but a named pipe"
        in by_student["bob"].reason
    )
    assert "carol.zip is not a regular file but a named pipe" in by_student["carol"].reason
    _assert_collected(found, nb)


NOBODY = 65534
CANNOT_DROP_ROOT = 77  # the child's exit code when it may not become nobody


def _run_as_nobody(folder, write):
    """In the child: become nobody, collect ``folder``, send the result; never returns."""
    code = 0
    try:
        os.chdir(folder)  # still root: the way down to it may be closed to nobody
        os.setgid(NOBODY)
        os.setuid(NOBODY)
    except PermissionError:
        os._exit(CANNOT_DROP_ROOT)
    try:
        with os.fdopen(write, "wb") as pipe:
            pickle.dump(collect(Path("."), KNOWN), pipe)
    except BaseException:
        code = 1
    os._exit(code)


def _collect_unprivileged(folder):
    """collect() as a user whom mode 000 keeps out; root reads anything, so as root it
    runs in a child process that became ``nobody``."""
    if os.geteuid() != 0:
        return collect(folder, KNOWN)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        _run_as_nobody(folder, write)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        data = pipe.read()
    code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    if code == CANNOT_DROP_ROOT:
        pytest.skip("root cannot become nobody here, and root may read any folder")
    assert code == 0, "collect() failed in the child process"
    return pickle.loads(data)


def test_a_folder_or_notebook_that_cannot_be_read_is_invalid(tmp_path):
    nb = _honest(tmp_path)
    hand_in(tmp_path, "bob", student())
    hand_in(tmp_path, "carol", student())
    tmp_path.chmod(0o755)
    (tmp_path / "bob").chmod(0o000)
    (tmp_path / "carol" / f"{ASSIGNMENT}.ipynb").chmod(0o000)
    try:
        found = _collect_unprivileged(tmp_path)
    finally:
        (tmp_path / "bob").chmod(0o755)

    by_student = _by_student(found)
    assert by_student["bob"].status == by_student["carol"].status == "invalid"
    assert "bob cannot be read (Permission denied)" in by_student["bob"].reason
    assert f"{ASSIGNMENT}.ipynb cannot be read (Permission denied)" in by_student["carol"].reason
    _assert_collected(found, nb)
