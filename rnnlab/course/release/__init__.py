"""The student edition: what ``make release`` builds, and the check that it holds no answer.

* ``wheel``: the students' wheel of rnnlab (``rnnlab check`` and the models; not the
  class grader, not this tool).
* ``edition``: one folder and one archive: the built book, the released notebooks, the
  wheel and the students' README.
* ``leaks``: what must never be in it (a line of a solution, a hidden test, a file of
  ``solutions/``, the course secret), looked for in every file and archive member.

``python -m rnnlab.course.release`` runs them (``make release`` after ``make book``).
"""
