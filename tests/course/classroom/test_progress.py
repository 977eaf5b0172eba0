"""The run's progress: a bar redrawn on a terminal, a few plain lines elsewhere, one line
per notebook in the log. A clock the test moves by hand stands for the time."""

import io

import pytest
from terminal_screen import screen

from rnnlab.course.classroom.progress import Display, Progress, duration
from rnnlab.course.classroom.report import Row

GRADED = Row("alice", "ex01_rnn", 10.0, 10.0, "graded")
PARTIAL = Row("bob", "ex01_rnn", 2.5, 10.0, "graded", "test_cell 0/3: wrong b_hh")
CRASHED = Row("carol", "ex01_rnn", 0.0, 10.0, "crashed", "the kernel died")


class Clock:
    """Seconds that pass only when the test says so."""

    def __init__(self, now: float = 1000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


class FakeTerminal(io.StringIO):
    """What a program writes to a TTY."""

    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def a_real_terminal(monkeypatch):
    monkeypatch.setenv("TERM", "xterm")


def test_durations_read_as_seconds_minutes_and_hours():
    assert duration(0) == "0 s"
    assert duration(44.6) == "45 s"
    assert duration(185) == "3 min 05 s"
    assert duration(3599) == "59 min 59 s"
    assert duration(2 * 3600 + 7 * 60 + 20) == "2 h 07 min"


def test_the_bar_shows_done_total_failures_and_the_time_left_at_the_pace_so_far():
    clock = Clock(1000.0)
    progress = Progress(10, clock)
    for row in (GRADED, CRASHED, PARTIAL):
        progress.add(row)
    clock.now = 1060.0  # 3 notebooks in 60 s: 20 s each, 7 left
    assert progress.eta() == pytest.approx(140.0)
    assert progress.bar() == (
        "[#########---------------------] 3/10 notebooks, failures 1, ETA 2 min 20 s"
    )
    assert progress.bar(width=10) == "[###-------] 3/10 notebooks, failures 1, ETA 2 min 20 s"


def test_before_the_first_notebook_the_time_left_is_unknown_and_at_the_end_zero():
    clock = Clock()
    progress = Progress(2, clock)
    assert progress.eta() is None
    assert progress.bar(width=4) == "[----] 0/2 notebooks, failures 0, ETA ?"
    progress.add(CRASHED)
    progress.add(CRASHED)
    clock.now += 30
    assert progress.bar(width=4) == "[####] 2/2 notebooks, failures 2, ETA 0 s"


def test_the_log_line_names_the_notebook_its_time_and_the_counts():
    clock = Clock(100.0)
    progress = Progress(4, clock)
    clock.now = 110.0
    progress.add(CRASHED)
    first = progress.line(CRASHED, 9.5)
    clock.now = 120.0
    progress.add(GRADED)
    second = progress.line(GRADED, 8.0)
    assert first == "[  1/4] carol ex01_rnn: crashed 0/10 (9.5 s); failures 1, ETA 30 s"
    assert second == "[  2/4] alice ex01_rnn: graded 10/10 (8.0 s); failures 1, ETA 20 s"


def test_counting_past_the_total_or_a_negative_total_is_an_error():
    progress = Progress(1, Clock())
    progress.add(GRADED)
    with pytest.raises(ValueError, match="beyond the run's 1"):
        progress.add(GRADED)
    with pytest.raises(ValueError, match="got -1"):
        Progress(-1)


def test_on_a_terminal_one_line_is_redrawn_and_the_summary_starts_on_its_own_line():
    clock, terminal, log = Clock(0.0), FakeTerminal(), io.StringIO()
    with Display(Progress(4, clock), terminal, log, columns=100) as display:
        assert screen(terminal.getvalue()) == [
            "[------------------------------] 0/4 notebooks, failures 0, ETA ?"
        ]
        for seconds, row in ((30.0, PARTIAL), (40.0, CRASHED), (90.0, GRADED)):
            clock.now = seconds
            display.update(row, 1.0)
            assert "\n" not in terminal.getvalue()
        # 3 notebooks in 90 s, 1 left: 30 s
        assert screen(terminal.getvalue()) == [
            "[######################--------] 3/4 notebooks, failures 1, ETA 30 s"
        ]
        clock.now = 100.0
        display.update(GRADED, 1.0)
    print("4 notebooks of 3 students", file=terminal)
    assert screen(terminal.getvalue()) == [
        "[##############################] 4/4 notebooks, failures 1, ETA 0 s",
        "4 notebooks of 3 students",
        "",
    ]
    assert [line.split(";")[0] for line in log.getvalue().splitlines()] == [
        "[  1/4] bob ex01_rnn: graded 2.5/10 (1.0 s)",
        "[  2/4] carol ex01_rnn: crashed 0/10 (1.0 s)",
        "[  3/4] alice ex01_rnn: graded 10/10 (1.0 s)",
        "[  4/4] alice ex01_rnn: graded 10/10 (1.0 s)",
    ]


def test_a_run_stopped_midway_leaves_the_bar_on_a_line_of_its_own():
    terminal = FakeTerminal()
    display = Display(Progress(3, Clock()), terminal, io.StringIO(), columns=100)
    with pytest.raises(KeyboardInterrupt), display:
        display.update(GRADED, 1.0)
        raise KeyboardInterrupt
    print("rnnlab grade: interrupted", file=terminal)
    assert screen(terminal.getvalue())[1:] == ["rnnlab grade: interrupted", ""]


def test_the_bar_is_cut_to_the_width_of_a_narrow_terminal():
    terminal = FakeTerminal()
    with Display(Progress(3, Clock()), terminal, io.StringIO(), columns=40):
        assert screen(terminal.getvalue()) == ["[------------------------------] 0/3 no"]


def test_a_dumb_terminal_gets_plain_lines(monkeypatch):
    monkeypatch.setenv("TERM", "dumb")
    terminal = FakeTerminal()
    with Display(Progress(1, Clock()), terminal, io.StringIO()) as display:
        display.update(GRADED, 2.0)
    assert terminal.getvalue() == (
        "[  1/1] alice ex01_rnn: graded 10/10 (2.0 s); failures 0, ETA 0 s\n"
    )


def test_elsewhere_a_line_every_five_percent_and_the_last_but_every_notebook_in_the_log():
    terminal, log = io.StringIO(), io.StringIO()
    with Display(Progress(200, Clock()), terminal, log) as display:
        for _ in range(199):
            display.update(GRADED, 1.0)
        display.update(CRASHED, 1.0)
    shown = [line.split("]")[0] for line in terminal.getvalue().splitlines()]
    assert shown == [f"[{done:>3}/200" for done in range(10, 201, 10)]
    assert terminal.getvalue().splitlines()[-1].startswith("[200/200] carol ex01_rnn: crashed")
    assert len(log.getvalue().splitlines()) == 200
    assert "\r" not in terminal.getvalue() + log.getvalue()


def test_elsewhere_a_slow_run_still_prints_a_line_a_minute():
    clock, terminal = Clock(0.0), io.StringIO()
    with Display(Progress(1000, clock), terminal, io.StringIO()) as display:
        for done in range(1, 8):  # all within the first 5 %
            clock.now = 25.0 * done  # 25, 50, 75 (a minute since the start), ... 175
            display.update(GRADED, 25.0)
    shown = [line.split("]")[0] for line in terminal.getvalue().splitlines()]
    assert shown == ["[  3/1000", "[  6/1000"]  # at 75 s and at 150 s


def test_a_run_of_one_notebook_prints_its_line_once():
    terminal = io.StringIO()
    with Display(Progress(1, Clock()), terminal, io.StringIO()) as display:
        display.update(PARTIAL, 3.0)
    assert terminal.getvalue() == (
        "[  1/1] bob ex01_rnn: graded 2.5/10 (3.0 s); failures 0, ETA 0 s\n"
    )
