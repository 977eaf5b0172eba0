"""``python -m rnnlab.course.release [wheel]``: the student edition, or only the wheel.

Without an argument (``make release``, after ``make book``): the edition in
``_build/release/rnn-course/`` and ``rnn-course.zip``, made only when it holds no leak.
Exits 1 with the leaks listed, 2 when the edition cannot be assembled.
"""

import argparse
import shutil
import sys
from pathlib import Path

from rnnlab.course.classroom import secret
from rnnlab.course.release import edition, leaks, wheel

REPO = Path(__file__).resolve().parents[3]
WHEEL_FOLDER = Path("_build/wheel")
RELEASE_FOLDER = Path("_build/release")
HTML = Path("_build/html")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rnnlab.course.release")
    parser.add_argument("what", nargs="?", choices=["wheel", "edition"], default="edition")
    parser.add_argument("--course", type=Path, default=REPO, help="the course root")
    args = parser.parse_args(argv)
    root = args.course.resolve()
    try:
        built = wheel.build(root, root / WHEEL_FOLDER)
        print(f"wheel: {built.relative_to(root)}")
        if args.what == "edition":
            return _edition(root, built)
    except (wheel.WheelError, edition.EditionError) as err:
        print(f"release: {err}", file=sys.stderr)
        return 2
    return 0


def _edition(root: Path, built: Path) -> int:
    key, note = secret.course_secret(root)
    if note:
        print(f"release: {note}", file=sys.stderr)
    staging = root / RELEASE_FOLDER / f".{edition.NAME}.new"
    folder = edition.assemble(root, root / HTML, built, staging)
    found = leaks.scan(folder, leaks.from_course(root, key))
    if found:
        print(f"release: {len(found)} leaks; nothing released:", file=sys.stderr)
        for leak in found:
            print(f"  {leak}", file=sys.stderr)
        shutil.rmtree(staging)
        return 1
    final = root / RELEASE_FOLDER / edition.NAME
    shutil.rmtree(final, ignore_errors=True)
    staging.rename(final)
    zipped = edition.archive(final)
    print(f"edition: {final.relative_to(root)}/   archive: {zipped.relative_to(root)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
