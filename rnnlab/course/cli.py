"""The ``rnnlab`` command: ``rnnlab check NOTEBOOK`` for students, ``rnnlab grade FOLDER``
for instructors."""

import argparse
import os
import signal
import sys
from pathlib import Path

# What each command needs beyond the models, as pyproject.toml's extras name it.
EXTRAS = {"check": "student", "grade": "course"}
# What the students' wheel leaves out (rnnlab.course.release.wheel), and what it is.
INSTRUCTOR_ONLY = {"rnnlab.course.classroom": "class grader (rnnlab grade)"}
DESCRIPTION = "rnnlab check NOTEBOOK (students), rnnlab grade FOLDER (instructors)"
GRADE_HELP = """\
Autograde every student's notebooks in FOLDER (one sub-folder or .zip per student) with
nbgrader, several notebooks at a time, and write grades.csv, feedback/ and the gradebook
into the grading folder (--out). Run it from the course root (the folder with
nbgrader_config.py) or below it."""


def _check(argv: list[str]) -> int:
    from rnnlab.course import selfcheck  # the student's command; imported only when used

    return selfcheck.main(argv)


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt  # the driver then kills the notebooks it is running


def _grade(args: argparse.Namespace) -> int:
    from rnnlab.course.classroom import course, grade, sandbox

    signal.signal(signal.SIGTERM, _interrupt)
    try:
        root = course.find_root(Path(args.course or Path.cwd()).resolve())
        out = Path(args.out) if Path(args.out).is_absolute() else root / args.out
        if not args.folder.is_dir():
            raise course.CourseError(f"{args.folder} is not a folder of submissions")
        limits = grade.Limits(args.timeout, args.cell_timeout, args.memory)
        rows = grade.grade_class(
            args.folder.resolve(),
            root=root,
            out=out.resolve(),
            db_url=args.db,
            jobs=args.jobs,
            limits=limits,
            assignments=args.assignment or (),
            sandboxed=not args.unsafe_no_sandbox,
            scheduler=args.scheduler,
        )
    except (course.CourseError, sandbox.SandboxUnavailableError) as err:
        print(f"rnnlab grade: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("rnnlab grade: interrupted; grades.csv not written", file=sys.stderr)
        return 130
    print(f"grades: {out / 'grades.csv'}   feedback: {out / 'feedback'}")
    return 1 if any(row.status == "error" for row in rows) else 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rnnlab", description=DESCRIPTION)
    commands = parser.add_subparsers(dest="command", required=True)

    # Listed for the help only: main() hands `check ...` to the checker, options included.
    commands.add_parser("check", help="run a notebook's visible tests; exit 1 when one fails")

    grade = commands.add_parser(
        "grade", help="grade a folder of submissions", description=GRADE_HELP
    )
    grade.add_argument("folder", type=Path, help="one sub-folder or .zip per student")
    grade.add_argument(
        "--out",
        default="grading",
        metavar="DIR",
        help="grading folder, relative to the course root (default: grading)",
    )
    grade.add_argument(
        "--db",
        metavar="URL",
        default=os.environ.get("RNNLAB_DB_URL"),
        help="gradebook, any SQLAlchemy URL (default: $RNNLAB_DB_URL, "
        "else sqlite in the grading folder)",
    )
    grade.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count(),
        metavar="N",
        help="notebooks graded at a time (default: the number of CPUs)",
    )
    grade.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        default=os.environ.get("RNNLAB_SCHEDULER") or None,
        help="grade on the workers of this Dask scheduler, e.g. tcp://host:8786 "
        "(default: $RNNLAB_SCHEDULER, else on this machine)",
    )
    grade.add_argument(
        "--timeout",
        type=float,
        default=600,
        metavar="S",
        help="wall-clock limit per notebook, in seconds (default: 600)",
    )
    grade.add_argument(
        "--cell-timeout",
        type=float,
        default=None,
        metavar="S",
        help="limit per cell (default: nbgrader_config.py's, at most --timeout)",
    )
    grade.add_argument(
        "--memory",
        type=float,
        default=4,
        metavar="GB",
        help="memory limit per notebook, in GB; 0 for none (default: 4)",
    )
    grade.add_argument(
        "--assignment",
        action="append",
        metavar="NAME",
        help="grade only this assignment (repeatable; default: all submitted)",
    )
    grade.add_argument(
        "--course", metavar="DIR", help="the course root (default: found from the current folder)"
    )
    grade.add_argument(
        "--unsafe-no-sandbox",
        action="store_true",
        help="run the notebooks without the bubblewrap sandbox: only for a folder you trust "
        "(every row's reason says so)",
    )
    grade.set_defaults(run=_grade)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    command = argv[0] if argv else ""
    try:
        if command == "check":
            return _check(argv[1:])
        args = _parser().parse_args(argv)
        return args.run(args)
    except ModuleNotFoundError as err:
        if err.name in INSTRUCTOR_ONLY:
            print(
                f"rnnlab {command}: this is the students' edition of rnnlab, which has no "
                f"{INSTRUCTOR_ONLY[err.name]}; instructors run it from the course's repository",
                file=sys.stderr,
            )
            return 2
        if command not in EXTRAS or (err.name or "rnnlab").startswith("rnnlab"):
            raise
        print(
            f"rnnlab {command}: the package {err.name} is not installed; "
            f"pip install 'rnnlab[{EXTRAS[command]}]' installs what {command} needs",
            file=sys.stderr,
        )
        return 2


if __name__ == "__main__":
    sys.exit(main())
