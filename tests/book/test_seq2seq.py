"""rnnlab.book.seq2seq: the torch encoder–decoder with attention for the date task."""

import math

import numpy as np
import pytest
import torch

from rnnlab import attention
from rnnlab.book import seq2seq
from rnnlab.data import DateTask

pytestmark = pytest.mark.torch

KINDS = list(seq2seq.KINDS)
HUMANS = ["25th of June, 2009", "10.12.2014", "Wednesday, January 24, 2035"]  # lengths differ


@pytest.fixture(scope="module")
def task() -> DateTask:
    return DateTask.make(n_train=200, n_test=20, seed=3)


def small_model(task: DateTask, kind: str | None = "additive", seed: int = 0) -> seq2seq.Seq2Seq:
    torch.manual_seed(seed)
    return seq2seq.Seq2Seq(len(task.source), len(task.target), E=6, H=5, kind=kind, A=4)


def random_params(rng, kind, Dq, Dk, A=3) -> dict[str, np.ndarray]:
    shapes = {"general": {"W": (Dq, Dk)}, "additive": {"W_q": (A, Dq), "W_k": (A, Dk), "v": (A,)}}
    return {name: rng.normal(size=shape) for name, shape in shapes.get(kind, {}).items()}


def as_torch(params: dict) -> dict[str, torch.Tensor]:
    return {name: torch.from_numpy(x) for name, x in params.items()}


@pytest.mark.parametrize("kind", KINDS)
def test_torch_attention_equals_rnnlab_attention_on_random_tensors(rng, kind):
    B, S, D = 3, 5, 4
    query, keys, values = (
        rng.normal(size=(B, D)),
        rng.normal(size=(B, S, D)),
        rng.normal(size=(B, S, 2)),
    )
    mask = rng.random((B, S)) < 0.6
    mask[:, 2] = True
    params = random_params(rng, kind, D, D)

    c, w = seq2seq.attend(
        *(torch.from_numpy(x) for x in (query, keys, values)), kind, as_torch(params),
        torch.from_numpy(mask),
    )  # fmt: skip
    expected_c, expected_w = attention.attend(query, keys, values, kind, params or None, mask)

    np.testing.assert_allclose(w.numpy(), expected_w, rtol=0, atol=1e-12)
    np.testing.assert_allclose(c.numpy(), expected_c, rtol=0, atol=1e-12)
    assert (w.numpy()[~mask] == 0).all()


@pytest.mark.parametrize("kind", KINDS)
def test_attention_inside_the_model_equals_rnnlab_on_the_same_tensors(task, kind):
    model = small_model(task, kind)
    source, lengths, _, _ = seq2seq.batch(task, [(h, "2000-01-01") for h in HUMANS])
    with torch.no_grad():
        keys, mask, s0 = model.encode(source, lengths)
        c, w = model.attention(s0, keys, mask)
    params = model.attention.numpy_params()
    expected_c, expected_w = attention.attend(
        s0.double().numpy(), keys.double().numpy(), keys.double().numpy(), kind, params or None,
        mask.numpy(),
    )  # fmt: skip
    np.testing.assert_allclose(w.numpy(), expected_w, rtol=0, atol=1e-6)  # float32 model
    np.testing.assert_allclose(c.numpy(), expected_c, rtol=0, atol=1e-6)


def test_additive_score_by_hand():
    # q = (1, 0), k = (1, 0): tanh(W_q q + W_k k) = tanh((2, 0)) with identities; v = (1, -1)
    e = seq2seq.score(
        torch.tensor([[1.0, 0.0]]), torch.tensor([[[1.0, 0.0]]]), "additive",
        {"W_q": torch.eye(2), "W_k": torch.eye(2), "v": torch.tensor([1.0, -1.0])},
    )  # fmt: skip
    assert e.item() == pytest.approx(math.tanh(2.0), abs=1e-6)


def test_masked_softmax_gives_zero_to_dropped_positions_and_refuses_empty_rows():
    scores = torch.tensor([[1.0, 0.0, 5.0], [2.0, 2.0, 2.0]])
    mask = torch.tensor([[True, True, False], [True, False, False]])
    w = seq2seq.softmax(scores, mask)
    e = math.e
    np.testing.assert_allclose(w.numpy(), [[e / (e + 1), 1 / (e + 1), 0], [1, 0, 0]], atol=1e-6)
    with pytest.raises(ValueError, match=r"row\(s\) \[1\]"):
        seq2seq.softmax(scores, torch.tensor([[True, False, False], [False, False, False]]))


def test_bad_kind_and_mismatched_sizes_are_refused():
    with pytest.raises(ValueError, match="kind must be one of"):
        seq2seq.Attention("cosine", 2, 2, 2)
    with pytest.raises(ValueError, match="Dq = Dk"):
        seq2seq.Attention("dot", 2, 3, 2)
    with pytest.raises(ValueError, match="kind must be one of"):
        seq2seq.score(torch.zeros(1, 2), torch.zeros(1, 3, 2), "cosine", {})


def test_batch_shapes_and_teacher_forcing_input(task):
    source, lengths, target_in, target = seq2seq.batch(task, [("10.12.2014", "2014-12-10")])
    assert source.shape == (10, 1) and lengths.tolist() == [10]
    assert target.shape == target_in.shape == (10, 1)
    assert task.decode_target(target.numpy()) == ["2014-12-10"]
    assert target_in[0, 0].item() == task.target.stoi["<bos>"]
    assert torch.equal(target_in[1:], target[:-1])  # shifted right by one


def test_forward_shapes_and_weights_sum_to_one_and_skip_padding(task):
    model = small_model(task)
    source, lengths, target_in, _ = seq2seq.batch(task, [(h, "2000-01-01") for h in HUMANS])
    S, B = source.shape
    with torch.no_grad():
        logits, weights = model(source, lengths, target_in)
    assert logits.shape == (10, B, len(task.target))
    assert weights.shape == (10, B, S)
    np.testing.assert_allclose(weights.sum(-1).numpy(), np.ones((10, B)), atol=1e-6)
    padding = np.arange(S)[None, :] >= lengths.numpy()[:, None]  # (B, S)
    assert padding.any()  # the test needs some padding
    assert (weights.numpy()[:, padding] == 0).all()


def test_padding_does_not_change_a_sequence_result(task):
    model = small_model(task)
    pairs = [(h, "2000-01-01") for h in HUMANS]
    with torch.no_grad():
        together, _ = model(*seq2seq.batch(task, pairs)[:3])
        for b, pair in enumerate(pairs):
            alone, _ = model(*seq2seq.batch(task, [pair])[:3])
            np.testing.assert_allclose(together[:, b], alone[:, 0], rtol=0, atol=1e-5)


def test_decoder_starts_from_the_state_after_the_last_real_character(task):
    model = small_model(task)
    source, lengths, _, _ = seq2seq.batch(task, [(h, "2000-01-01") for h in HUMANS])
    with torch.no_grad():
        _, _, s0 = model.encode(source, lengths)
        for b, human in enumerate(HUMANS):
            one, _ = seq2seq.batch(task, [(human, "2000-01-01")])[:2]
            _, h_n = model.encoder(model.source_embedding(one))  # no padding at all
            np.testing.assert_allclose(s0[b], h_n[0, 0], rtol=0, atol=1e-6)


def test_greedy_feeds_back_its_own_guesses(task):
    model = small_model(task)
    source, lengths, _, _ = seq2seq.batch(task, [(h, "2000-01-01") for h in HUMANS])
    bos = task.target.stoi["<bos>"]
    ids, weights = model.greedy(source, lengths, bos)
    assert ids.shape == (10, len(HUMANS)) and weights.shape == (10, len(HUMANS), source.shape[0])
    # teacher forcing on greedy's own output must pick the same characters
    fed = torch.cat([torch.full((1, len(HUMANS)), bos), ids[:-1]])
    with torch.no_grad():
        logits, again = model(source, lengths, fed)
    assert torch.equal(logits.argmax(-1), ids)
    np.testing.assert_allclose(again, weights, atol=1e-6)


def test_no_attention_puts_all_weight_on_the_last_character(task):
    model = small_model(task, kind=None)
    source, lengths, target_in, _ = seq2seq.batch(task, [(h, "2000-01-01") for h in HUMANS])
    with torch.no_grad():
        _, weights = model(source, lengths, target_in)
    for b, length in enumerate(lengths.tolist()):
        expected = np.zeros(source.shape[0])
        expected[length - 1] = 1.0
        np.testing.assert_array_equal(weights[:, b].numpy(), np.tile(expected, (10, 1)))


def test_short_training_is_deterministic_lowers_the_loss_and_leaves_global_state():
    torch.manual_seed(123)
    rng_before, threads = torch.get_rng_state(), torch.get_num_threads()
    kwargs = {"n_train": 128, "n_test": 16, "epochs": 3, "batch_size": 16, "E": 8, "H": 16}
    kwargs["lr"] = 1e-2
    first = seq2seq.train.__wrapped__(**kwargs)  # bypass the cache: two real runs
    second = seq2seq.train.__wrapped__(**kwargs)
    assert first.losses == second.losses
    assert len(first.losses) == 3 * 128 // 16
    assert np.mean(first.losses[-4:]) < 0.8 * np.mean(first.losses[:4])
    assert first.losses[0] == pytest.approx(math.log(len(first.task.target)), rel=0.2)  # ~uniform
    assert torch.equal(torch.get_rng_state(), rng_before)
    assert torch.get_num_threads() == threads


def test_train_is_cached():
    kwargs = {"n_train": 64, "n_test": 8, "epochs": 1, "batch_size": 32, "E": 4, "H": 4}
    assert seq2seq.train(**kwargs) is seq2seq.train(**kwargs)


def test_accuracy_counts_exact_dates_and_characters(task, monkeypatch):
    model = small_model(task)
    pairs = task.test[:5]
    target = seq2seq.batch(task, pairs)[3]  # (10, 5)
    guess = target.clone()
    guess[9, 0] = (guess[9, 0] + 1) % len(task.target)  # last digit of date 0 wrong
    guess[0, 3] = guess[1, 3] = task.target.stoi["-"]  # two characters of date 3 wrong
    monkeypatch.setattr(model, "greedy", lambda *args, **kwargs: (guess, None))
    exact, chars = seq2seq.accuracy(model, task, pairs)
    assert exact == pytest.approx(3 / 5)  # dates 1, 2, 4 right
    assert chars == pytest.approx(47 / 50)  # 3 of the 50 characters wrong


@pytest.mark.slow
def test_the_chapter_model_translates_held_out_dates():
    trained = seq2seq.train()
    task = trained.task
    humans = [h for h, _ in task.test]
    guesses, weights = seq2seq.translate(trained.model, task, humans)
    right = [g == iso for g, (_, iso) in zip(guesses, task.test, strict=True)]
    assert np.mean(right) >= 0.9
    assert weights.shape[:2] == (len(humans), 10)
    np.testing.assert_allclose(weights.sum(-1), 1.0, atol=1e-5)
    assert seq2seq.translate(trained.model, task, ["25th of June, 2009"])[0] == ["2009-06-25"]
