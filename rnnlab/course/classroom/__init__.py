"""The instructor's side of the exercises: grade a folder of submissions with nbgrader.

``rnnlab grade FOLDER`` (``make grade SUBMISSIONS=FOLDER``) calls ``grade.grade_class``;
the modules hold one step each:

* the run: ``collect`` (find the notebooks; bad input is one student's problem),
  ``course`` (the grading folder), ``lock`` (one run per folder), ``secret`` (where the
  hidden cases come from), ``job`` (one notebook's grading, bytes in, data out),
  ``cluster`` (where jobs run: here, or on a Dask cluster), ``workdirs`` (working
  folders a killed process cannot leave behind), ``task`` (what the grading
  process reads), ``run`` (child processes with limits), ``outcomes`` (a job's files and
  the row it ends as), ``report`` (grades.csv and the summary), ``progress`` (the
  run's progress bar);
* one notebook: ``worker`` (nbgrader inside a child, in the job's private folder; and
  the driver's one writer of the gradebook), ``executor`` (nbgrader's Execute
  step, the test cells decided here), ``verdicts`` (the course's test cells, run in the
  grader's process), ``remote`` (proxies that call the student's functions), ``failures``
  (why points were lost), ``feedback`` (no hidden tests in feedback);
* the sandbox: ``sandbox`` (bubblewrap and hard limits), ``cgroups`` (pids and memory),
  ``kernel`` (kernels over ZMQ ipc), ``sandbox_library`` (the ``rnnlab`` inside);
* inside the sandbox: ``wire`` (values across the boundary) and ``callee`` (the kernel's
  side of a call).

Nothing here is imported by ``import rnnlab``, and the driver process never imports
nbgrader: only the grading processes do.
"""

import sys

# jsonschema (under nbformat and nbgrader) imports rfc3987_syntax when it is installed,
# to check a string format that no notebook and no gradebook uses; building its grammar
# costs every grading process two seconds. Marked missing, it is skipped.
sys.modules.setdefault("rfc3987_syntax", None)
