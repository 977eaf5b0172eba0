"""What a terminal shows for the text a program wrote to it, for the progress tests."""

from rnnlab.course.classroom.progress import CLEAR


def screen(written: str) -> list[str]:
    """The lines a terminal shows for ``written``: ``\\r`` goes back to the start of the
    line, CLEAR erases to its end, ``\\n`` starts the next one."""
    lines = []
    for text in written.split("\n"):
        line, column = "", 0
        for char in text.replace(CLEAR, "\0"):
            if char == "\r":
                column = 0
            elif char == "\0":
                line = line[:column]
            else:
                line = line[:column] + char + line[column + 1 :]
                column += 1
        lines.append(line)
    return lines
