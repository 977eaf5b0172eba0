"""The ``rnnlab`` command: ``rnnlab check NOTEBOOK`` for students, ``rnnlab grade FOLDER``
for instructors."""

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="rnnlab", description=__doc__)
    parser.add_subparsers(dest="command", required=True)
    parser.parse_args(argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
