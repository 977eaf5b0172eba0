"""rnnlab.book.char_lm: the character-level language model of chapters 1, 2 and 4."""

import math
from collections import Counter

import numpy as np
import pytest

from rnnlab.book import char_lm

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

TINY = {"H": 8, "chunk": 6, "batch": 3, "steps": 4, "lr": 0.01, "seed": 1}


def tiny_model(kind: str = "LSTM", H: int = 5, seed: int = 0):
    torch.manual_seed(seed)
    return char_lm.model(kind, len(char_lm.text().chars), H)


def test_the_corpus_ships_with_its_licence_and_splits_before_the_held_out_module():
    data = char_lm.text()
    folder = char_lm.CORPUS.parent
    assert "PSF" in (folder / "README.md").read_text() and (folder / "PSF-LICENSE.txt").exists()
    assert data.decode(data.held_out).startswith(char_lm.HELD_OUT)
    assert char_lm.HELD_OUT not in data.decode(data.train)
    assert data.decode(data.train) + data.decode(data.held_out) == char_lm.CORPUS.read_text()
    assert list(data.chars) == sorted(set(data.chars))


def test_streams_are_contiguous_pieces_and_targets_are_the_next_character():
    ids = np.arange(23)
    xs, ys = char_lm.streams(ids, batch=3)  # L = 22 // 3 = 7
    np.testing.assert_array_equal(xs[:, 1], np.arange(7, 14))  # stream 1: ids 7..13
    np.testing.assert_array_equal(ys, xs + 1)


def test_unigram_perplexity_equals_a_count_by_hand():
    train, held = np.array([0, 0, 0, 1]), np.array([2, 0, 1, 1])
    counts = Counter(train.tolist())
    p = {c: (counts[c] + 1) / (len(train) + 3) for c in range(3)}  # add one, V = 3
    expected = math.exp(-np.mean([math.log(p[c]) for c in held[1:]]))
    assert char_lm.unigram_perplexity(train, held, V=3) == pytest.approx(expected, rel=1e-12)


def test_a_model_that_knows_nothing_has_perplexity_v():
    net = tiny_model("RNN")
    with torch.no_grad():
        net.readout.weight.zero_()  # equal logits: every character has probability 1/V
        net.readout.bias.zero_()
    loss = char_lm.held_out_loss(net, char_lm.text().held_out[:50])
    assert char_lm.perplexity(loss) == pytest.approx(len(char_lm.text().chars), rel=1e-5)


def test_held_out_perplexity_is_exp_of_the_mean_negative_log_probability():
    net = tiny_model("GRU")
    ids = char_lm.text().held_out[:40]
    with torch.no_grad():
        logits, _ = net(torch.from_numpy(ids[:-1, None]))
    z = logits[:, 0].double().numpy()  # (N - 1, V)
    log_p = z - z.max(1, keepdims=True)
    log_p -= np.log(np.exp(log_p).sum(1, keepdims=True))  # log-softmax by hand
    expected = math.exp(-log_p[np.arange(len(ids) - 1), ids[1:]].mean())
    found = char_lm.perplexity(char_lm.held_out_loss(net, ids))
    assert found == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("kind", char_lm.KINDS)
def test_truncated_bptt_carries_the_state_but_no_gradient_across_chunks(kind):
    net = tiny_model(kind)
    sgd = torch.optim.SGD(net.parameters(), lr=0.0)  # lr 0: the weights stay as they are
    xs, ys = (torch.from_numpy(a) for a in char_lm.streams(char_lm.text().train[:200], 2))
    one, two = slice(0, 10), slice(10, 20)
    _, state = char_lm.bptt_step(net, sgd, xs[one], ys[one], None)
    for s in state if isinstance(state, tuple) else (state,):
        assert not s.requires_grad and s.grad_fn is None  # cut from chunk 1's graph
    loss_carried, _ = char_lm.bptt_step(net, sgd, xs[two], ys[two], state)
    carried = [p.grad.clone() for p in net.parameters()]
    loss_fresh, _ = char_lm.bptt_step(net, sgd, xs[two], ys[two], None)
    assert loss_carried != loss_fresh  # chunk 2's loss depends on chunk 1
    # chunk 2's gradient with the carried state, as if that state were a constant input
    logits, _ = net(xs[two], char_lm.detach(state))
    net.zero_grad()
    char_lm.loss(logits, ys[two]).backward()
    torch.nn.utils.clip_grad_norm_(net.parameters(), char_lm.CLIP)
    for a, b in zip(carried, (p.grad for p in net.parameters()), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_the_untruncated_gradient_differs_so_the_test_above_can_fail():
    net = tiny_model("RNN")
    xs, ys = (torch.from_numpy(a) for a in char_lm.streams(char_lm.text().train[:200], 2))
    _, state = net(xs[:10])  # still attached to chunk 1's graph
    through = torch.autograd.grad(char_lm.loss(net(xs[10:20], state)[0], ys[10:20]),
                                  net.recurrent.weight_hh_l0)[0]  # fmt: skip
    cut = torch.autograd.grad(char_lm.loss(net(xs[10:20], state.detach())[0], ys[10:20]),
                              net.recurrent.weight_hh_l0)[0]  # fmt: skip
    assert not torch.allclose(through, cut)


def test_samples_use_the_vocabulary_and_temperature_zero_is_the_argmax():
    net, data = tiny_model("LSTM"), char_lm.text()
    greedy = char_lm.sample(net, "def ", 12, temperature=0.0)
    ids = torch.from_numpy(data.encode("def "))[:, None]
    expected = []
    with torch.no_grad():
        for _ in range(12):  # the whole text again at every step: no state carried
            logits, _ = net(ids)
            expected.append(int(logits[-1, 0].argmax()))
            ids = torch.cat([ids, torch.tensor([[expected[-1]]])])
    assert greedy == data.decode(expected)
    assert char_lm.sample(net, "def ", 12, temperature=1e-4, seed=3) == greedy
    hot = char_lm.sample(net, "def ", 200, temperature=1.5, seed=3)
    assert len(hot) == 200 and set(hot) <= set(data.chars)
    assert hot == char_lm.sample(net, "def ", 200, temperature=1.5, seed=3)  # seeded
    with pytest.raises(ValueError, match="temperature"):
        char_lm.sample(net, "def ", 2, temperature=-1.0)


def test_a_short_fit_is_deterministic_learns_and_leaves_global_state_alone():
    torch.manual_seed(123)
    rng_before, threads = torch.get_rng_state(), torch.get_num_threads()
    settings = TINY | {"steps": 30, "H": 16, "chunk": 20, "batch": 8}
    first, second = char_lm.fit("RNN", **settings), char_lm.fit("RNN", **settings)
    assert first.losses == second.losses and first.curve == second.curve
    assert [s for s, _ in first.curve] == [0, 30]  # EVERY > 30: at the start and the end
    assert first.curve[-1][1] < 0.5 * first.curve[0][1]  # from about V to far less
    assert torch.equal(torch.get_rng_state(), rng_before)
    assert torch.get_num_threads() == threads


def test_train_is_cached_on_disk_by_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNLAB_CACHE", str(tmp_path))
    run = char_lm.train("GRU", **TINY)
    assert char_lm.train("GRU", **TINY) is run  # in memory
    char_lm._train.cache_clear()
    again = char_lm.train("GRU", **TINY)  # from disk
    assert again is not run and again.losses == run.losses and again.curve == run.curve
    for a, b in zip(run.model.parameters(), again.model.parameters(), strict=True):
        assert torch.equal(a, b)
    char_lm.train("GRU", **(TINY | {"seed": 2}))
    assert len(list(tmp_path.iterdir())) == 2  # other settings, another file
    with pytest.raises(ValueError, match="unknown settings"):
        char_lm.train("GRU", width=3)
    with pytest.raises(ValueError, match="kind must be"):
        char_lm.train("Elman")


@pytest.mark.slow
def test_the_chapters_models_beat_the_unigram_baseline_and_rank_as_the_prose_says():
    data = char_lm.text()
    counts = Counter(data.train.tolist())
    total = len(data.train) + len(data.chars)
    unigram = math.exp(
        -np.mean([math.log((counts[c] + 1) / total) for c in data.held_out[1:].tolist()])
    )
    runs = {kind: char_lm.train(kind) for kind in char_lm.KINDS}
    for run in runs.values():
        assert run.perplexity < unigram / 2
        assert run.curve[0][1] == pytest.approx(len(data.chars), rel=0.1)  # untrained: ~V
    # what chapters 2 and 4 say: the LSTM ends below the RNN but starts slower; the GRU
    # is the lowest at every measurement after the start
    assert runs["GRU"].perplexity < runs["LSTM"].perplexity < runs["RNN"].perplexity
    assert runs["LSTM"].curve[1][1] > runs["RNN"].curve[1][1]
    for gru, lstm, rnn in zip(*(runs[k].curve[1:] for k in ("GRU", "LSTM", "RNN")), strict=True):
        assert gru[1] < min(lstm[1], rnn[1])
