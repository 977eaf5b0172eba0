"""A seccomp filter for the sandbox: system calls a kernel never makes fail with EPERM.

Namespaces and a read-only view keep a notebook's kernel away from the grader's files,
but some system calls reach past them: ``ptrace`` (of bwrap's own process 1, to undo
``--die-with-parent``), the key rings (``keyctl``, ``add_key``, ``request_key``: the
session key ring of whoever started ``rnnlab grade``), io_uring, bpf, perf events,
userfaultfd, reading or writing another process's memory, kexec, and making or joining
namespaces. bwrap loads the filter (``--seccomp FD``) just before it runs the kernel.

The program is classic BPF, written out here for x86_64 and aarch64: it checks the
architecture of every call first, so the same call made through another ABI (i386's
``int 0x80``, x32) cannot slip past the numbers, and refuses those ABIs altogether.
"""

import platform
import struct

LOAD_WORD, JUMP_IF_EQUAL, JUMP_IF_AT_LEAST, RETURN = 0x20, 0x15, 0x35, 0x06
ALLOW, ERRNO, EPERM = 0x7FFF0000, 0x00050000, 1
ARCH_OFFSET, NUMBER_OFFSET = 4, 0  # in struct seccomp_data
X32_BIT = 0x40000000

# (AUDIT_ARCH_*, {call: number}) per machine, from the kernel's syscall tables.
ARCHES = {
    "x86_64": (0xC000003E, {
        "ptrace": 101, "keyctl": 250, "add_key": 248, "request_key": 249,
        "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427,
        "bpf": 321, "perf_event_open": 298, "userfaultfd": 323,
        "process_vm_readv": 310, "process_vm_writev": 311,
        "kexec_load": 246, "kexec_file_load": 320, "unshare": 272, "setns": 308,
    }),
    "aarch64": (0xC00000B7, {
        "ptrace": 117, "keyctl": 219, "add_key": 217, "request_key": 218,
        "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427,
        "bpf": 280, "perf_event_open": 241, "userfaultfd": 282,
        "process_vm_readv": 270, "process_vm_writev": 271,
        "kexec_load": 104, "kexec_file_load": 294, "unshare": 97, "setns": 268,
    }),
}  # fmt: skip


def _instruction(code: int, k: int, true: int = 0, false: int = 0) -> bytes:
    return struct.pack("=HBBI", code, true, false, k)  # struct sock_filter


def program(machine: str | None = None) -> bytes | None:
    """The compiled filter for ``machine`` (this one by default), or None for a machine
    whose system call numbers are not written out here."""
    machine = machine or platform.machine()
    if machine not in ARCHES:
        return None
    arch, calls = ARCHES[machine]
    numbers = sorted(set(calls.values()))
    checks = [(JUMP_IF_EQUAL, number) for number in numbers]
    if machine == "x86_64":
        checks.insert(0, (JUMP_IF_AT_LEAST, X32_BIT))
    body = [_instruction(LOAD_WORD, ARCH_OFFSET)]
    body.append(_instruction(JUMP_IF_EQUAL, arch, true=1))  # another ABI: refuse
    body.append(_instruction(RETURN, ERRNO | EPERM))
    body.append(_instruction(LOAD_WORD, NUMBER_OFFSET))
    for k, (code, value) in enumerate(checks):
        body.append(_instruction(code, value, true=len(checks) - k))  # to the refusal
    body.append(_instruction(RETURN, ALLOW))
    body.append(_instruction(RETURN, ERRNO | EPERM))
    return b"".join(body)
