"""rnnlab: the reference package of the recurrent-networks course.

Conventions, used everywhere (book, package, exercises):

* Sequences are **time-major**: ``xs`` has shape ``(T, B, D)``: T time steps, a batch of
  B sequences, D input features. States ``h`` and ``c`` have shape ``(B, H)``.
* Parameters are a ``dict`` of numpy arrays with **torch's names and layout**:
  ``W_ih (G*H, D)``, ``W_hh (G*H, H)``, ``b_ih (G*H,)``, ``b_hh (G*H,)``, where G is the
  number of gate blocks, stacked in torch's order: RNN 1, LSTM 4 (i, f, g, o),
  GRU 3 (r, z, n). Peepholes add ``p_i``, ``p_f``, ``p_o`` of shape ``(H,)``.
* The dtype of ``xs`` is kept: parameters and states are cast to it.
* Bad input raises ``ValueError`` naming the argument, the expected and the actual shape.

Each model family has a one-step ``cell`` and a whole-sequence ``forward``; ``rnn``,
``lstm`` and ``gru`` also have ``backward`` (backpropagation through time).
``import rnnlab`` never imports torch: only ``rnnlab.torch_bridge`` does, when called.
"""

from rnnlab import activations, attention, data, gru, init, lstm, rnn, variants

__all__ = ["activations", "attention", "data", "gru", "init", "lstm", "rnn", "variants"]
__version__ = "0.1.0"
