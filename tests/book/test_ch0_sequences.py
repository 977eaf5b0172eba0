"""Chapter 0's pipeline numbers against values worked out by hand (and torch's packing)."""

import numpy as np
import pytest

from rnnlab.book import ch0_sequences


def test_pipeline_tokens_ids_and_padding_match_hand_worked_values():
    p = ch0_sequences.pipeline()
    assert p["tokens"] == [
        ["i", "loved", "this", "film", "."],
        ["boring", "."],
        ["not", "bad", "!"],
    ]
    # "." appears twice, so it comes first after <pad> 0 and <unk> 1; then first appearance
    assert p["vocab"].itos == [
        "<pad>", "<unk>", ".", "i", "loved", "this", "film", "boring", "not", "bad", "!",
    ]  # fmt: skip
    assert p["ids"] == [[3, 4, 5, 6, 2], [7, 2], [8, 9, 10]]
    expected = [[3, 7, 8], [4, 2, 9], [5, 0, 10], [6, 0, 0], [2, 0, 0]]  # (T, B), time-major
    np.testing.assert_array_equal(p["padded"], expected)
    np.testing.assert_array_equal(p["lengths"], [5, 2, 3])


def test_embedding_reads_rows_of_the_table_and_padding_is_zero():
    p = ch0_sequences.pipeline()
    assert p["xs"].shape == (5, 3, 2)  # (T, B, D)
    np.testing.assert_array_equal(p["xs"][1, 0], p["table"][4])  # "loved" is id 4
    np.testing.assert_array_equal(p["xs"][2:, 1], np.zeros((3, 2)))  # "Boring." ends at t = 2
    assert np.all(p["table"] * 10 == np.round(p["table"] * 10))  # one decimal, readable


def test_last_real_state_differs_from_the_state_at_the_padded_end():
    hs, last = ch0_sequences.recurrent_states()
    np.testing.assert_array_equal(last[0], hs[4, 0])  # length 5: the real end is t = T
    np.testing.assert_array_equal(last[1], hs[1, 1])  # length 2
    np.testing.assert_array_equal(last[2], hs[2, 2])  # length 3
    assert ch0_sequences.numbers()["seq_last_gap"] == np.abs(hs[4, 1] - hs[1, 1]).max() > 0.01


@pytest.mark.torch
def test_last_real_state_is_what_torch_returns_for_a_packed_batch():
    torch = pytest.importorskip("torch")
    from torch.nn.utils.rnn import pack_padded_sequence

    from rnnlab import init
    from rnnlab.torch_bridge import to_torch

    p = ch0_sequences.pipeline()
    module = to_torch("rnn", init.rnn(ch0_sequences.D, ch0_sequences.H, seed=0))
    packed = pack_padded_sequence(torch.tensor(p["xs"]), torch.tensor(p["lengths"]), False, False)
    _, h_n = module(packed)
    np.testing.assert_allclose(h_n[0].detach().numpy(), ch0_sequences.recurrent_states()[1])


def test_parameter_counts_match_hand_arithmetic():
    assert ch0_sequences.feedforward_params(100) == 100 * 100 * 128 + 128 == 1_280_128
    assert ch0_sequences.recurrent_params() == 128 * 100 + 128 * 128 + 128 + 128 == 29_440
    n = ch0_sequences.numbers()
    assert [n[f"seq_ff_params_{k}"] for k in (1, 2, 3)] == [128_128, 1_280_128, 12_800_128]


def test_numbers_are_plain_deterministic_and_follow_the_short_review():
    n = ch0_sequences.numbers()
    assert all(type(v) in (int, float, str) for v in n.values())
    assert n == ch0_sequences.numbers()
    assert (n["seq_T"], n["seq_B"], n["seq_D"], n["seq_V"]) == (5, 3, 2, 11)
    assert (n["seq_len_1"], n["seq_len_2"], n["seq_len_3"]) == (5, 2, 3)
    assert (n["seq_n_real"], n["seq_n_slots"]) == (5 + 2 + 3, 5 * 3)
    assert n["seq_b2_ids"] == "[7, 2]" and n["seq_b2_padded"] == "[7, 2, 0, 0, 0]"
    assert n["seq_b2_pad_vector"] == "[0, 0]"


def test_the_exercise_solutions_follow_from_the_pipeline_and_the_counts():
    n = ch0_sequences.exercise_numbers()
    assert (n["seq_ex_T"], n["seq_ex_B"]) == (5, 4)  # "I loved this film." is the longest
    assert n["seq_ex_column"] == "[11, 3, 0, 0, 0]"  # great, !, then padding
    assert n["seq_ex_new"] == "great" and n["seq_ex_V"] == 12
    # "!" now occurs twice, like "."; ties keep the order of first appearance
    assert (n["seq_ex_bang_before"], n["seq_ex_bang_after"]) == (10, 3)
    assert n["seq_ex_n_moved"] == 8  # i, loved, this, film, boring, not, bad and "!"
    # T D H + H > H D + H^2 + 2H  <=>  T > 1 + (H + 1) / D
    assert n["seq_ex_dense_T"] == 3  # 1 + 129 / 100 = 2.29
    for size in (2, 16, 128, 1024):  # D = H: T > 2 + 1 / H, so T = 3 for every size
        assert ch0_sequences.dense_overtakes(size, size) == n["seq_ex_dense_T_equal"] == 3
