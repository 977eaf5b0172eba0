"""Finding each student's notebooks in a class folder: layouts, zips, broken files."""

import zipfile

import nbformat
import pytest
from toy_course import ASSIGNMENT, hand_in, student

from rnnlab.classroom.collect import check_notebook, collect

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
    monkeypatch.setattr("rnnlab.classroom.collect.MAX_BYTES", 10)
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
