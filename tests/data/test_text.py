"""rnnlab.data.text: from raw text to the (T, B, D) tensor a recurrent network reads."""

import numpy as np
import pytest

from rnnlab import lstm
from rnnlab.data import PAD, UNK, Vocabulary, embed, mask_from_lengths, pad, tokenize


def test_tokenize_splits_lower_case_words_from_punctuation():
    tokens = tokenize("Hello, World! It's 25 June.")
    assert tokens == ["hello", ",", "world", "!", "it", "'", "s", "25", "june", "."]


def test_tokenize_by_character_keeps_case_and_spaces():
    assert tokenize("Ab c,", level="char") == ["A", "b", " ", "c", ","]


def test_tokenize_rejects_non_text_and_unknown_levels():
    with pytest.raises(ValueError, match="text must be a str"):
        tokenize(["a", "b"])
    with pytest.raises(ValueError, match="level"):
        tokenize("abc", level="byte")


def test_vocabulary_reserves_zero_for_padding_and_one_for_unknown():
    vocab = Vocabulary(["the", "cat"], specials=["<bos>"])
    assert vocab.itos == [PAD, UNK, "<bos>", "the", "cat"]
    assert (vocab.pad_id, vocab.unk_id) == (0, 1)
    assert vocab.encode([PAD, UNK]) == [0, 1]
    assert len(vocab) == 5 and "cat" in vocab and "dog" not in vocab


def test_vocabulary_build_orders_by_frequency_then_first_appearance():
    sentences = [["b", "a", "c"], ["a", "c", "d"], ["a"]]  # a: 3, c: 2, b: 1, d: 1
    assert Vocabulary.build(sentences).itos[2:] == ["a", "c", "b", "d"]
    assert Vocabulary.build(sentences, min_count=2).itos[2:] == ["a", "c"]


def test_vocabulary_does_not_list_a_token_twice():
    vocab = Vocabulary(["x", "y", "x", PAD])
    assert vocab.itos == [PAD, UNK, "x", "y"]
    assert vocab.encode(["x", "y"]) == [2, 3]


def test_encode_then_decode_gives_the_tokens_back_and_unknowns_get_id_one():
    vocab = Vocabulary.build([tokenize("the cat sat on the mat")])
    tokens = tokenize("The cat sat.")
    ids = vocab.encode(tokens)
    assert ids[-1] == vocab.unk_id == 1  # "." was never seen
    assert vocab.decode(ids) == ["the", "cat", "sat", UNK]
    assert vocab.decode(vocab.encode(["on", "the", "mat"])) == ["on", "the", "mat"]


def test_decode_drops_padding_and_stops_at_the_stop_token():
    vocab = Vocabulary(["a", "b"], specials=["<eos>"])
    assert vocab.decode([3, 0, 4, 0, 0]) == ["a", "b"]
    assert vocab.decode(np.array([3, 2, 4]), stop="<eos>") == ["a"]
    with pytest.raises(ValueError, match="id 5 is outside"):
        vocab.decode([3, 5])


def test_pad_stacks_sequences_time_major_with_their_lengths():
    ids, lengths = pad([[5, 6, 7], [8], [9, 10]])
    np.testing.assert_array_equal(ids, [[5, 8, 9], [6, 0, 10], [7, 0, 0]])  # (T, B) = (3, 3)
    np.testing.assert_array_equal(lengths, [3, 1, 2])
    assert ids.dtype == lengths.dtype == np.int64


def test_pad_to_a_given_length_and_with_another_pad_id():
    ids, lengths = pad([[1], [2, 3]], pad_id=-1, length=4)
    np.testing.assert_array_equal(ids, [[1, 2], [-1, 3], [-1, -1], [-1, -1]])
    np.testing.assert_array_equal(lengths, [1, 2])


def test_pad_rejects_a_sequence_longer_than_length_and_an_empty_batch():
    with pytest.raises(ValueError, match=r"sequence 1 has length 3 > length=2"):
        pad([[1], [1, 2, 3]], length=2)
    with pytest.raises(ValueError, match="at least one sequence"):
        pad([])


def test_mask_from_lengths_marks_the_real_steps():
    mask = mask_from_lengths(np.array([3, 1, 2]), T=3)
    expected = [[True, True, True], [True, False, True], [True, False, False]]
    np.testing.assert_array_equal(mask, expected)
    assert mask.dtype == bool


def test_the_mask_and_the_padding_agree():
    ids, lengths = pad([[4, 5], [6, 7, 8, 9], [3]])
    np.testing.assert_array_equal(mask_from_lengths(lengths, len(ids)), ids != 0)


def test_embed_looks_up_one_table_row_per_id():
    table = np.arange(12.0).reshape(4, 3)  # V = 4 ids, D = 3: row v is [3v, 3v+1, 3v+2]
    ids = np.array([[1, 3], [0, 2]])  # (T, B) = (2, 2)
    vectors = embed(ids, table)
    assert vectors.shape == (2, 2, 3)
    np.testing.assert_array_equal(vectors[0, 1], [9.0, 10.0, 11.0])  # id 3
    for t, b in np.ndindex(ids.shape):
        np.testing.assert_array_equal(vectors[t, b], table[ids[t, b]])


@pytest.mark.parametrize(("ids", "message"), [([[0, 4]], "found 4"), ([[-1, 0]], "found -1")])
def test_embed_rejects_ids_outside_the_table(ids, message):
    with pytest.raises(ValueError, match=message):
        embed(np.array(ids), np.zeros((4, 2)))


def test_embed_rejects_non_integer_ids_and_a_flat_table():
    with pytest.raises(ValueError, match="ids must be integers"):
        embed(np.array([[0.0, 1.0]]), np.zeros((4, 2)))
    with pytest.raises(ValueError, match=r"table must have 2 dimensions \(V, D\)"):
        embed(np.array([[0, 1]]), np.zeros(4))


def test_the_whole_pipeline_gives_a_batch_an_lstm_reads(rng):
    texts = ["The cat sat.", "A dog barked at the cat!"]
    vocab = Vocabulary.build(tokenize(t) for t in texts)
    ids, lengths = pad([vocab.encode(tokenize(t)) for t in texts])
    xs = embed(ids, rng.normal(size=(len(vocab), 3)))
    assert xs.shape == (7, 2, 3)  # T = 7 tokens in the longer text, B = 2, D = 3
    np.testing.assert_array_equal(lengths, [4, 7])
    shapes = {"W_ih": (8, 3), "W_hh": (8, 2), "b_ih": (8,), "b_hh": (8,)}
    hs, _ = lstm.forward(xs, {k: rng.normal(size=s) for k, s in shapes.items()})
    assert hs.shape == (7, 2, 2)
