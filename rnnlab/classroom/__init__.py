"""The instructor's side of the exercises: grade a folder of submissions with nbgrader.

``rnnlab grade FOLDER`` (``make grade SUBMISSIONS=FOLDER``) calls
``grade.grade_class``; the modules hold one step each: ``collect`` (find the
notebooks), ``course`` (the grading folder), ``run`` (child processes with limits),
``worker`` (nbgrader inside a child), ``failures`` (why points were lost),
``feedback`` (no hidden tests in feedback), ``report`` (grades.csv and the summary).

Nothing here is imported by ``import rnnlab``, and the driver process never imports
nbgrader: only the grading processes do.
"""
