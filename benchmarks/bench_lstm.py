"""rnnlab.lstm.forward against torch.nn.LSTM's forward on the CPU, in one process.

T=100, B=32, D=H=128, float32, the same parameters and input for both. Prints the median
time of each over repeated runs and the ratio rnnlab / torch (the aim is ≤ 2).
"""

import time

import numpy as np
import torch

from rnnlab import init, lstm, torch_bridge

T, B, D, H = 100, 32, 128, 128
REPEATS = 30


def median_seconds(run, repeats: int = REPEATS) -> float:
    run()  # warm-up: first-call allocations and lazy initialisation
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def main() -> None:
    torch.set_num_threads(torch.get_num_threads())
    params = init.lstm(D, H, seed=0, dtype=np.float32)
    xs = np.random.default_rng(1).normal(size=(T, B, D)).astype(np.float32)
    module = torch_bridge.to_torch("lstm", params)
    x = torch.from_numpy(xs)

    def run_torch():
        with torch.no_grad():
            module(x)

    ours = median_seconds(lambda: lstm.forward(xs, params))
    theirs = median_seconds(run_torch)
    hs, _ = lstm.forward(xs, params)
    with torch.no_grad():
        reference = module(x)[0].numpy()
    print(f"lstm forward T={T} B={B} D={D} H={H} float32, median of {REPEATS}")
    print(f"  rnnlab.lstm.forward  {ours * 1e3:8.2f} ms")
    print(f"  torch.nn.LSTM        {theirs * 1e3:8.2f} ms")
    print(f"  ratio rnnlab / torch {ours / theirs:8.2f}x   (aim <= 2x)")
    print(f"  max |difference|     {np.abs(hs - reference).max():.1e}")


if __name__ == "__main__":
    main()
