"""The exercises' side of the course, apart from the models students import.

* ``grading``: what the notebooks' test cells call (``grading.check_lstm_cell(f)``);
  numpy only, like the models.
* ``selfcheck``: the student's ``rnnlab check NOTEBOOK`` (extra ``rnnlab[student]``).
* ``classroom``: the instructor's ``rnnlab grade FOLDER``, every notebook in a sandbox
  (extra ``rnnlab[course]``).
* ``release``: ``make release``, the student edition (the book, the released notebooks,
  a wheel without ``classroom`` or ``release``) and the check that it holds no answer.
* ``cli``: the ``rnnlab`` command, which hands each subcommand to its module.
"""
