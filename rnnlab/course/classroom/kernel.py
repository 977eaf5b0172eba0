"""Kernels for graded notebooks: ZMQ ``ipc`` sockets, in a sandbox or (trusted folders) not.

A kernel in its own network namespace cannot reach a TCP port of the grader's, so the
kernel makes ``ipc`` sockets (files) in a folder of its sandbox, and the grader connects
to them through ``/proc/<pid>/root``, the sandbox's own view of its files. The grader
waits until the kernel has made all five before it connects, and never reconnects: a
socket file the student's code replaces later (by a link to some other socket of the
machine) is never followed.

Every part of a message from the kernel is limited in size (``MAX_MESSAGE``) and few
messages queue up (``QUEUED``); a message of many parts can still be large, which the
grading process's own memory limit bounds (``worker.GRADER_MEMORY``).
"""

import asyncio
import contextlib
import json
import os
import select
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import zmq.asyncio
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager

from rnnlab.course.classroom import sandbox as sandboxes
from rnnlab.course.classroom import seccomp, workdirs

MAX_MESSAGE = 16 * 2**20  # a larger message from the kernel cuts the connection
QUEUED = 32  # messages the grader queues per socket before the kernel's are dropped
SOCKET_WAIT = 60.0  # seconds a kernel may take to make its sockets
LOG_BYTES = 256 * 2**10  # what the kernel writes to its own stdout/stderr, kept in the log
CHANNELS = ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port")


def _guarded_context() -> zmq.asyncio.Context:
    """A ZMQ context whose sockets refuse large messages and never reconnect."""
    context = zmq.asyncio.Context()
    context.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE)
    context.setsockopt(zmq.RCVHWM, QUEUED)
    context.setsockopt(zmq.RECONNECT_IVL, -1)
    return context


class OutputCopy(threading.Thread):
    """Copies the kernel's own output (bwrap's too) into the log, up to LOG_BYTES, and
    drains the rest; ``first`` keeps its beginning, which says why a kernel did not start."""

    def __init__(self, pipe: int, log_path: Path):
        super().__init__(daemon=True)
        self.pipe, self.log_path, self.first = pipe, log_path, b""

    def run(self) -> None:
        kept = 0
        with os.fdopen(self.pipe, "rb") as source, self.log_path.open("ab") as log:
            while chunk := source.read1(65536):
                if kept < LOG_BYTES:
                    log.write(chunk[: LOG_BYTES - kept])
                    log.flush()
                    self.first = (self.first + chunk)[:2000]
                    kept += len(chunk)


class NoHeartbeatClient(AsyncKernelClient):
    """A kernel client without the heartbeat channel: jupyter_client's heartbeat makes a
    new socket and connects again after a missed beat, so it would follow a socket file
    the kernel replaced (whether the kernel is alive is asked of its process instead)."""

    def start_channels(self, shell=True, iopub=True, stdin=True, hb=True, control=True):
        super().start_channels(shell=shell, iopub=iopub, stdin=stdin, hb=False, control=control)


class IpcKernelManager(AsyncKernelManager):
    """A python kernel on ``ipc`` sockets in a private temporary folder.

    Args:
        log: where the kernel's own stdout and stderr go (at most LOG_BYTES of them).
    """

    def __init__(self, log: Path, **kwargs):
        super().__init__(transport="ipc", **kwargs)
        self.workdir = workdirs.Workdir(workdirs.here(), "kernel-")  # held while it runs
        self.folder = self.workdir.path
        self.connection_file = str(self.folder / "connection.json")
        self.ip = self.socket_prefix()
        self.log_path = log
        self.context = _guarded_context()
        self.client_factory = NoHeartbeatClient
        self._kernel_spec = KernelSpec(
            argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            display_name="Python 3",
            language="python",
            interrupt_mode="message",  # signals would reach bwrap, not the kernel
        )

    def socket_prefix(self) -> str:
        """Where the kernel makes its sockets, as the kernel sees it."""
        return str(self.folder / "k")

    def socket_folder(self) -> Path:
        """Where the grader finds the kernel's sockets."""
        return self.folder

    def client(self, **kwargs):
        return super().client(context=self.context, **kwargs)

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw) -> None:
        read, write = os.pipe()
        self.output = OutputCopy(read, self.log_path)
        self.output.start()
        kw.update(stdout=write, stderr=write, stdin=subprocess.DEVNULL)
        try:
            await self._launch(kernel_cmd, **kw)
        finally:
            os.close(write)
        await asyncio.to_thread(self._wait_for_sockets)

    async def _launch(self, kernel_cmd: list[str], **kw) -> None:
        await super()._async_launch_kernel(kernel_cmd, **kw)

    def _wait_for_sockets(self) -> None:
        """Wait until the kernel has made its five sockets: the client connects once."""
        info = json.loads(Path(self.connection_file).read_text())
        paths = [self.socket_folder() / f"k-{info[channel]}" for channel in CHANNELS]
        deadline = time.monotonic() + SOCKET_WAIT
        while not all(_is_socket(path) for path in paths):
            process = getattr(self.provisioner, "process", None)
            if time.monotonic() > deadline or process is None or process.poll() is not None:
                raise RuntimeError(f"the kernel did not start: {self._said()}")
            time.sleep(0.01)

    def _said(self) -> str:
        """What the kernel (or bwrap) printed before it ended: why it did not start."""
        self.output.join(timeout=5)
        said = " ".join(self.output.first.decode(errors="replace").split())[-300:]
        return said or "it said nothing"

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if not restart:
            self.workdir.close()


class SandboxKernelManager(IpcKernelManager):
    """A python kernel in a bubblewrap sandbox (:mod:`rnnlab.course.classroom.sandbox`).

    Args:
        sandbox: what the sandbox is made of and its limits.
        log: as for IpcKernelManager.
    """

    def __init__(self, sandbox: sandboxes.Sandbox, log: Path, **kwargs):
        self.sandbox = sandbox
        self.sandbox_pid: int | None = None
        super().__init__(log, **kwargs)

    def socket_prefix(self) -> str:
        return f"{sandboxes.IPC}/k"

    def socket_folder(self) -> Path:
        return Path(f"/proc/{self.sandbox_pid}/root{sandboxes.IPC}")

    async def _launch(self, kernel_cmd: list[str], **kw) -> None:
        inside = [
            sandboxes.CONNECTION if arg == self.connection_file else arg for arg in kernel_cmd
        ]
        read, write = os.pipe()
        filter_fd = _seccomp_fd()
        fds = (write,) if filter_fd is None else (write, filter_fd)
        command = self.sandbox.command(inside, Path(self.connection_file), write, filter_fd)
        # Started from / with no variable of the grader's: bwrap stays the sandbox's
        # process 1, whose environment and working folder the kernel can read.
        kw.update(pass_fds=fds, cwd="/", env={})
        try:
            await super()._launch(command, **kw)
        finally:
            for fd in fds:
                os.close(fd)
        self.sandbox_pid = await asyncio.to_thread(_child_pid, read)
        if self.sandbox_pid is None:
            raise RuntimeError(f"bwrap did not start the sandbox: {self._said()}")

    async def _async_kill_kernel(self, restart: bool = False) -> None:
        """Kill the kernel and, with bwrap's process 1, everything in its PID namespace:
        whatever a notebook did to bwrap (ptrace is filtered, but --die-with-parent is a
        setting any process can undo), the namespace ends with its first process."""
        await super()._async_kill_kernel(restart=restart)
        self._end_sandbox()

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        self._end_sandbox()
        await super()._async_cleanup_resources(restart=restart)

    def _end_sandbox(self) -> None:
        pid, self.sandbox_pid = self.sandbox_pid, None
        if pid is not None and pid in self.sandbox.cgroup.pids():  # still that process
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw) -> None:
        await super()._async_launch_kernel(kernel_cmd, **kw)
        # From now on the grader's sockets go through the sandbox's own root.
        self.ip = str(self.socket_folder() / "k")


def _seccomp_fd() -> int | None:
    """A file descriptor holding the sandbox's seccomp filter, for bwrap --seccomp (None
    on a machine the filter does not know)."""
    program = seccomp.program()
    if program is None:
        return None
    fd = os.memfd_create("rnnlab-seccomp")
    os.write(fd, program)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def _is_socket(path: Path) -> bool:
    try:
        return stat.S_ISSOCK(path.lstat().st_mode)
    except OSError:
        return False


def _child_pid(read: int) -> int | None:
    """The sandbox's first process, from the JSON bwrap writes to its --info-fd (None
    when bwrap wrote none: it did not start the sandbox)."""
    text, deadline = b"", time.monotonic() + SOCKET_WAIT
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([read], [], [], max(0.0, deadline - time.monotonic()))
            chunk = os.read(read, 4096) if ready else b""
            text += chunk
            try:
                return int(json.loads(text)["child-pid"])
            except (ValueError, KeyError, TypeError):
                if not chunk:
                    break
    finally:
        os.close(read)
    return None
