"""nbgrader configuration: run every nbgrader command from this folder (the course root).

`rnnlab grade` copies this file into its grading folder and runs nbgrader there.
"""

import os
from pathlib import Path

from rnnlab.course.classroom.feedback import feedback_preprocessors

c = get_config()  # noqa: F821 (injected by nbgrader)

ROOT = Path(__file__).resolve().parent

c.CourseDirectory.root = str(ROOT)
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"
c.CourseDirectory.course_id = "rnn-course"
# SQLite by default; any SQLAlchemy URL (e.g. postgresql+psycopg2://...) through RNNLAB_DB_URL.
c.CourseDirectory.db_url = os.environ.get("RNNLAB_DB_URL", f"sqlite:///{ROOT / 'gradebook.db'}")
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ExecutePreprocessor.timeout = 120
# Feedback never shows hidden tests: they are cut out before the HTML is written.
c.GenerateFeedback.preprocessors = feedback_preprocessors()
