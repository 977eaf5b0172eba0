"""What the exercise notebooks' test cells call: ``grading.check_lstm_cell(lstm_cell)``.

Each ``check_*`` runs the student's function on several cases (T = 1, B = 1, D ≠ H and a
float32 case among them) with rnnlab's reference switched off, compares the result with
the reference, and raises ``AssertionError`` saying what is wrong: the type, dtype or
shape, or which term or gate is off. On success it prints one line. ``hidden=True`` runs
the hidden tests' cases (other seeds and shapes) and prints nothing.

One module per exercise: ``pipeline`` (ex00), ``rnn`` (ex01), ``lstm`` and
``lstm_backward`` (ex02), ``variants`` (ex03), ``gru`` (ex04), ``attention`` and
``attend`` (ex05: the scores; the softmax and attend); the shared code is in ``_core``
(cases, calling the student's function), ``_mismatch`` (a comparison as data), ``_words``
(its sentence), ``_runner`` (call, compare, diagnose, report), ``_guard`` (the reference
switched off), ``_recurrent`` and ``_sequence`` (cells and loops over time, and their
diagnoses).
"""

from rnnlab.course.grading.attend import check_attend, check_masked_softmax
from rnnlab.course.grading.attention import (
    check_additive_score,
    check_dot_score,
    check_general_score,
    check_scaled_dot_score,
)
from rnnlab.course.grading.gru import check_gru_cell, check_gru_forward
from rnnlab.course.grading.lstm import check_lstm_cell, check_lstm_forward
from rnnlab.course.grading.lstm_backward import check_lstm_backward
from rnnlab.course.grading.pipeline import (
    check_embed,
    check_last_step,
    check_pad,
    check_to_ids,
    check_tokenize,
)
from rnnlab.course.grading.rnn import check_rnn_backward, check_rnn_cell, check_rnn_forward
from rnnlab.course.grading.variants import check_cifg_cell, check_peephole_cell

__all__ = [
    # ex00_pipeline
    "check_tokenize",
    "check_to_ids",
    "check_pad",
    "check_embed",
    "check_last_step",
    # ex01_rnn
    "check_rnn_cell",
    "check_rnn_forward",
    "check_rnn_backward",
    # ex02_lstm
    "check_lstm_cell",
    "check_lstm_forward",
    "check_lstm_backward",
    # ex03_variants
    "check_peephole_cell",
    "check_cifg_cell",
    # ex04_gru
    "check_gru_cell",
    "check_gru_forward",
    # ex05_attention
    "check_dot_score",
    "check_scaled_dot_score",
    "check_general_score",
    "check_additive_score",
    "check_masked_softmax",
    "check_attend",
]
