"""The adding problem generator by hand, and the RNN/LSTM training: seeded, deterministic,
and the LSTM learns what the RNN does not."""

import numpy as np
import pytest

from rnnlab.book import long_memory


def test_adding_problem_marks_one_step_in_each_half_and_targets_their_sum():
    T, n = 10, 200
    xs, targets = long_memory.adding_problem(n, T, np.random.default_rng(0))
    assert xs.shape == (T, n, 2) and targets.shape == (n,)
    assert xs.dtype == np.float32 and targets.dtype == np.float32
    values, markers = xs[..., 0], xs[..., 1]
    assert np.all((values >= 0) & (values < 1))
    assert set(np.unique(markers)) == {0.0, 1.0}
    for b in range(n):
        marked = [t for t in range(T) if markers[t, b] == 1.0]
        assert len(marked) == 2
        assert marked[0] < T // 2 <= marked[1]  # one in the first half, one in the second
        assert targets[b] == pytest.approx(values[marked[0], b] + values[marked[1], b])
    # over many sequences every position of each half gets marked
    assert set(np.nonzero(markers)[0]) == set(range(T))


def test_adding_problem_is_reproducible_and_rejects_bad_sizes():
    a = long_memory.adding_problem(5, 8, np.random.default_rng(3))
    b = long_memory.adding_problem(5, 8, np.random.default_rng(3))
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    with pytest.raises(ValueError, match="T must be at least 2"):
        long_memory.adding_problem(5, 1, np.random.default_rng(0))
    with pytest.raises(ValueError, match="n must be at least 1"):
        long_memory.adding_problem(0, 8, np.random.default_rng(0))


def test_reference_levels_by_hand():
    # two sequences of T = 4 (halves: steps 0-1 and 2-3)
    values = np.array([[0.2, 0.5], [0.9, 0.6], [0.4, 0.42], [0.7, 0.3]])  # (T, B)
    markers = np.array([[1, 0], [0, 1], [0, 1], [1, 0]], dtype=float)
    xs = np.stack([values, markers], axis=-1)
    targets = np.array([0.2 + 0.7, 0.6 + 0.42])  # 0.9 and 1.02
    levels = long_memory.reference_levels(xs, targets)
    # answering 1: errors -0.1 and 0.02
    assert levels["chance"] == pytest.approx((0.01 + 0.0004) / 2)
    # late value + 0.5: predictions 1.2 and 0.92, errors -0.3 and 0.1
    assert levels["last_only"] == pytest.approx((0.09 + 0.01) / 2)
    # only |1.02 - 1| = 0.02 is within the tolerance 0.04
    assert levels["chance_accuracy"] == 0.5


def test_reference_levels_approach_one_sixth_and_one_twelfth():
    xs, targets = long_memory.adding_problem(20000, 20, np.random.default_rng(1))
    levels = long_memory.reference_levels(xs, targets)
    assert levels["chance"] == pytest.approx(1 / 6, abs=0.005)  # Var(a + b), a, b ~ U(0, 1)
    assert levels["last_only"] == pytest.approx(1 / 12, abs=0.003)  # Var(a)
    assert levels["chance_accuracy"] == pytest.approx(0.08 - 0.04**2, abs=0.01)  # triangle


def test_held_out_set_is_not_a_training_batch():
    test_xs, _ = long_memory.held_out(12, 0, 64)
    train_xs, _ = long_memory.adding_problem(64, 12, np.random.default_rng(0))
    assert not np.array_equal(test_xs, train_xs)
    np.testing.assert_array_equal(test_xs, long_memory.held_out(12, 0, 64)[0])


SMALL = {"T": 8, "H": 4, "steps": 15, "batch": 8, "lr": 0.01, "seed": 1, "test_size": 32}


@pytest.mark.torch
@pytest.mark.parametrize("kind", ["RNN", "LSTM"])
def test_training_is_deterministic_and_leaves_torchs_global_state_alone(kind):
    torch = pytest.importorskip("torch")
    threads = torch.get_num_threads()
    uncached = long_memory._train.__wrapped__
    first = uncached(kind, *SMALL.values())
    torch.manual_seed(123)
    expected_draw = torch.rand(3)
    torch.manual_seed(123)
    torch.set_default_dtype(torch.float64)  # a caller's setting must not change the run
    try:
        second = uncached(kind, *SMALL.values())
        assert torch.get_default_dtype() == torch.float64
    finally:
        torch.set_default_dtype(torch.float32)
    assert torch.equal(torch.rand(3), expected_draw)  # the caller's generator is untouched
    assert torch.get_num_threads() == threads
    assert len(first.losses) == SMALL["steps"]
    assert first.losses == second.losses
    assert first.test_mse == second.test_mse and first.test_accuracy == second.test_accuracy
    for a, b in zip(first.model.parameters(), second.model.parameters(), strict=True):
        assert torch.equal(a, b)


@pytest.mark.torch
def test_train_is_cached_and_checks_the_kind():
    pytest.importorskip("torch")
    run = long_memory.train("LSTM", **SMALL)
    assert long_memory.train("LSTM", *list(SMALL.values())) is run  # same arguments, one run
    with pytest.raises(ValueError, match="kind must be"):
        long_memory.train("GRU", **SMALL)


@pytest.mark.slow
@pytest.mark.torch
def test_lstm_learns_the_adding_problem_and_the_rnn_does_not():
    pytest.importorskip("torch")
    d = long_memory.DEFAULTS
    levels = long_memory.reference_levels(*long_memory.held_out(d["T"], d["seed"], d["test_size"]))
    rnn, lstm = long_memory.train("RNN"), long_memory.train("LSTM")
    # the LSTM remembers both values: far below even the "second value only" level
    assert lstm.test_mse < levels["last_only"] / 20
    assert lstm.test_accuracy > 0.9
    # the RNN stays at the level of always answering 1
    assert rnn.test_mse > levels["last_only"]
    assert rnn.test_mse > 0.8 * levels["chance"]
    assert rnn.test_accuracy < 2 * levels["chance_accuracy"]
    # the training losses say the same: the LSTM ends orders of magnitude lower
    assert np.mean(lstm.losses[-100:]) < np.mean(rnn.losses[-100:]) / 50
