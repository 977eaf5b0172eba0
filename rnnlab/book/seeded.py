"""Trainings the book can repeat exactly: torch seeded, on one thread, in float32.

One thread makes the sums happen in one fixed order on every machine (and is kind to a
shared one); the caller's random generator, thread count and default dtype come back
afterwards, so a training leaves no trace on the kernel that ran it.
"""

import contextlib


@contextlib.contextmanager
def torch_run(seed: int):
    """Within: torch seeded with ``seed``, one thread, float32 by default."""
    import torch

    threads, dtype = torch.get_num_threads(), torch.get_default_dtype()
    torch.set_num_threads(1)
    torch.set_default_dtype(torch.float32)
    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            yield
    finally:
        torch.set_num_threads(threads)
        torch.set_default_dtype(dtype)
