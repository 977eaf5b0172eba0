"""nbgrader's Execute step, with each test cell decided in the grader's process.

``Autograde`` runs its preprocessors on the submitted notebook (test cells restored from
the gradebook first); this one replaces nbgrader's ``Execute``. Every cell runs in the
notebook's kernel (sandboxed: :mod:`.kernel`), in order, as before, except that a test
cell is sent to the kernel *without* its hidden tests. Then the course's own test cell,
hidden tests included, runs here (:mod:`.verdicts`), calling the student's functions in
the kernel through proxies (:mod:`.remote`); its result becomes the cell's output, which
nbgrader's ``SaveAutoGrades`` scores as usual (an error: no points). What the kernel's
own run of the cell said is kept in a journal, so that ``reason`` can say where the two
disagree; it never counts.

The output a kernel can produce is capped (``MAX_OUTPUT``) as it arrives.
"""

import copy
import json
import time
from pathlib import Path
from queue import Empty

import nbformat
from jupyter_core.utils import ensure_async, run_sync
from nbclient.exceptions import CellExecutionComplete
from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute
from traitlets import Any, Bool, Int, Unicode

from rnnlab.course.classroom.failures import error_of
from rnnlab.course.classroom.feedback import cut_hidden_region
from rnnlab.course.classroom.kernel import IpcKernelManager, SandboxKernelManager
from rnnlab.course.classroom.remote import CallFailedError, CellTimeoutError, Remote
from rnnlab.course.classroom.verdicts import CourseCells, Verdict

MAX_OUTPUT = 2 * 2**20  # bytes of output kept from the whole notebook
INTERRUPT_GRACE = 5.0  # seconds an interrupted call has to answer


class TrustedExecute(Execute):
    """Runs the notebook in its kernel; decides the test cells itself."""

    sandbox = Any(None, help="rnnlab.course.classroom.sandbox.Sandbox; None: no sandbox").tag(
        config=True
    )
    case_seed = Int(0, help="where hidden checks draw their cases from").tag(config=True)
    course_notebook = Unicode(help="the course's notebook (solutions/)").tag(config=True)
    journal = Unicode(help="where to write each test's verdict, as JSON").tag(config=True)
    kernel_log = Unicode(help="where the kernel's own output goes").tag(config=True)
    # Widget state a kernel sends would grow the notebook unchecked.
    store_widget_state = Bool(False)
    # A message past kernel.MAX_MESSAGE cuts the output channel for good: a cell that
    # ended (its reply came) but whose output stops is no reason to stop the notebook (the
    # test cells are decided over the shell channel). A cell interrupted at its time limit
    # that never goes idle is: its kernel is stuck (see _async_handle_timeout).
    raise_on_iopub_timeout = Bool(False)

    def create_kernel_manager(self):
        log = Path(self.kernel_log)
        self.km = (
            SandboxKernelManager(self.sandbox, log) if self.sandbox else IpcKernelManager(log)
        )
        return self.km

    def preprocess(self, nb, resources=None, km=None):
        self.course = CourseCells(
            nbformat.read(self.course_notebook, as_version=4), self.case_seed
        )
        self.remote = Remote(self._evaluate)
        self.verdicts: list[dict] = []
        self.output_bytes, self.cut, self.broken = 0, False, ""
        try:
            return super().preprocess(nb, resources, km)
        finally:
            Path(self.journal).write_text(json.dumps(self.verdicts, indent=1))

    async def _async_handle_timeout(self, timeout, cell=None):
        self.raise_on_iopub_timeout = True  # until the next cell: see the trait
        return await super()._async_handle_timeout(timeout, cell)

    def preprocess_cell(self, cell, resources, index):
        self.raise_on_iopub_timeout = False
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.cell_type != "code" or grade_id not in self.course.tests():
            return super().preprocess_cell(cell, resources, index)
        ran = copy.deepcopy(cell)
        ran.source, _ = cut_hidden_region(cell.source)  # the kernel never sees hidden tests
        super().preprocess_cell(ran, resources, index)
        self.remote.deadline = time.monotonic() + (self.timeout or 60)
        verdict = self.course.run_test(grade_id, self.remote)
        cell.outputs = _outputs(verdict)
        cell.execution_count = ran.get("execution_count")
        self.nb.cells[index] = cell
        self.clear_display_id_mapping(index)  # a later update_display cannot reach the verdict
        kernel = error_of(ran) or "passed"
        self.verdicts.append(
            {
                "grade_id": grade_id,
                "passed": verdict.passed,
                "hidden": verdict.hidden,
                "kernel": kernel,
            }
        )
        return cell, self.resources

    def process_message(self, msg, cell, cell_index):
        """nbclient's handling of one kernel message, except that a message it cannot
        handle (the kernel makes its own) is dropped instead of ending the grading."""
        try:
            return super().process_message(msg, cell, cell_index)
        except CellExecutionComplete:
            raise
        except Exception as error:
            self.log.warning("dropped a kernel message nbclient cannot handle: %r", error)
            return None

    def output(self, outs, msg, display_id, cell_index):
        """Keep the kernel's output up to MAX_OUTPUT bytes in all; say where it was cut."""
        self.output_bytes += len(json.dumps(msg.get("content", {}), default=str))
        if self.output_bytes <= MAX_OUTPUT:
            return super().output(outs, msg, display_id, cell_index)
        if not self.cut:
            self.cut = True
            note = f"[the grader kept the first {MAX_OUTPUT // 2**20} MiB of the output]\n"
            outs.append(new_output("stream", name="stderr", text=note))
        return None

    def _evaluate(self, expression: str, seconds: float) -> str:
        """A user expression's text, evaluated in the kernel (see remote.Remote)."""
        if self.broken:
            raise CallFailedError(self.broken)
        return run_sync(self._async_evaluate)(expression, seconds)

    async def _async_evaluate(self, expression: str, seconds: float) -> str:
        msg_id = self.kc.execute(
            "", silent=True, store_history=False, user_expressions={"r": expression}
        )
        reply = await self._reply(msg_id, seconds)
        if reply is None:
            await ensure_async(self.km.interrupt_kernel())
            if await self._reply(msg_id, INTERRUPT_GRACE) is None:
                self.broken = "the kernel stopped answering after a call was interrupted"
            raise CellTimeoutError(
                f"the call ran longer than {seconds:.0f} s and was interrupted (an endless loop?)"
            )
        found = reply.get("content", {}).get("user_expressions", {}).get("r", {})
        if not isinstance(found, dict) or found.get("status") != "ok":
            what = found.get("ename", "?") if isinstance(found, dict) else "?"
            raise CallFailedError(f"the kernel could not run the grader's call ({what})")
        text = (
            found.get("data", {}).get("text/plain")
            if isinstance(found.get("data"), dict)
            else None
        )
        if not isinstance(text, str):
            raise CallFailedError("the kernel's reply to the grader's call holds no text")
        return text

    async def _reply(self, msg_id: str, seconds: float) -> dict | None:
        """The kernel's reply to ``msg_id``, or None after ``seconds``; a dead kernel or
        a reply that cannot be read breaks the connection for good."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                msg = await self.kc.shell_channel.get_msg(timeout=min(left, 1.0))
            except Empty:
                msg = None
            except Exception as error:  # a message that does not parse, a closed socket
                self.broken = f"the kernel sent a message that cannot be read ({error})"[:300]
                raise CallFailedError(self.broken) from None
            if msg is None and not await ensure_async(self.km.is_alive()):
                self.broken = "the kernel died"
                raise CallFailedError(self.broken)
            if msg is not None and msg.get("parent_header", {}).get("msg_id") == msg_id:
                return msg
        return None


def _outputs(verdict: Verdict) -> list:
    """The test cell's outputs: what the checks printed, and the error that failed it
    (its one line: a traceback would quote the hidden test that raised it)."""
    outputs = []
    if verdict.printed:
        outputs.append(new_output("stream", name="stdout", text=verdict.printed))
    if verdict.error:
        name, message = verdict.error
        outputs.append(
            new_output("error", ename=name, evalue=message, traceback=[f"{name}: {message}"])
        )
    return outputs
