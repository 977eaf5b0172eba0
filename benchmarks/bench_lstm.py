"""rnnlab.lstm.forward against torch.nn.LSTM's forward on the CPU, in one process.

T=100, B=32, D=H=128, float32, the same parameters and input for both. Each is timed in
phases of repeated calls, the phases alternating between the two (so a busy machine slows
both alike), with a pause before each phase so that the other library's idle worker
threads (OpenMP's, OpenBLAS's) have stopped spinning; the best phase of each is kept.
Prints each time and the ratio rnnlab / torch (the aim is ≤ 2.5), against torch's default
CPU path (oneDNN's fused LSTM kernel) and, for context, against torch with oneDNN
disabled (ATen's step-by-step loop, the same algorithm as rnnlab's).
"""

import time
import warnings

import numpy as np
import torch

from rnnlab import init, lstm, torch_bridge

# torch.backends.mkldnn.flags() warns about Intel GPUs, which are beside the point here.
warnings.filterwarnings("ignore", message="TF32 acceleration")

T, B, D, H = 100, 32, 128, 128
PHASES, CALLS, PAUSE = 5, 20, 0.5


def best_call(run) -> float:
    """The fastest of CALLS calls, after a pause and a warm-up call."""
    time.sleep(PAUSE)
    run()
    times = []
    for _ in range(CALLS):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def best_of_alternating_phases(runs: dict) -> dict[str, float]:
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(PHASES):
        for name, run in runs.items():
            best[name] = min(best[name], best_call(run))
    return best


def main() -> None:
    params = init.lstm(D, H, seed=0, dtype=np.float32)
    xs = np.random.default_rng(1).normal(size=(T, B, D)).astype(np.float32)
    module = torch_bridge.to_torch("lstm", params)
    x = torch.from_numpy(xs)

    def run_torch(onednn: bool):
        with torch.no_grad(), torch.backends.mkldnn.flags(enabled=onednn):
            return module(x)[0]

    best = best_of_alternating_phases(
        {
            "rnnlab.lstm.forward": lambda: lstm.forward(xs, params),
            "torch.nn.LSTM (default, oneDNN)": lambda: run_torch(True),
            "torch.nn.LSTM (oneDNN off)": lambda: run_torch(False),
        }
    )
    ours = best["rnnlab.lstm.forward"]
    difference = np.abs(lstm.forward(xs, params)[0] - run_torch(True).numpy()).max()
    print(
        f"lstm forward, T={T} B={B} D={D} H={H} float32, fastest call of {PHASES} phases "
        f"of {CALLS} calls, {torch.get_num_threads()} torch threads"
    )
    for name, seconds in best.items():
        print(f"  {name:34s} {seconds * 1e3:7.2f} ms   rnnlab / this = {ours / seconds:5.2f}x")
    print("  aim: rnnlab / torch default <= 2.5x")
    print(f"  max |rnnlab - torch| = {difference:.1e}")


if __name__ == "__main__":
    main()
