# The config every IPython kernel of the course's environment reads: `make setup` copies it
# to .venv/etc/ipython/, where IPython looks for the environment's own config files.
#
# It drops one log line, and only that one. jupyter-book runs the chapters through
# jupyter-cache and nbclient, which start each kernel over TCP on localhost and take no
# kernel-manager settings: they can be told neither to use the `ipc` transport nor to hand
# the kernel CurveZMQ keys. ipykernel then warns "Kernel is running over TCP without
# encryption" once per chapter, a line that says nothing about the book and would hide a
# real warning in the build log. (The grader's kernels use `ipc`, where the line never
# comes.) Every other message of the kernel is printed as before.
import logging

UNENCRYPTED_TCP = "Kernel is running over TCP without encryption"


class _DropUnencryptedTcpWarning(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(UNENCRYPTED_TCP)


logging.getLogger("IPKernelApp").addFilter(_DropUnencryptedTcpWarning())
