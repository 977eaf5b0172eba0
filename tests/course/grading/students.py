"""Student answers for the tests of ``rnnlab.course.grading``: right ones written from the
equations with numpy (not with rnnlab), and the usual mistakes, each switched on by an
argument, so that every test can say which mistake it makes."""

import re

import numpy as np


def sigmoid(a):
    return 1 / (1 + np.exp(-a))


# ---------------------------------------------------------------- ex00


def tokenize(text):
    return re.findall(r"\w+|[^\w\s]", text.lower())


def to_ids(tokens, stoi):
    return [stoi.get(token, 1) for token in tokens]


def pad_batch(sequences):
    lengths = np.array([len(s) for s in sequences])
    ids = np.zeros((lengths.max(), len(sequences)), dtype=np.int64)
    for b, sequence in enumerate(sequences):
        ids[: len(sequence), b] = sequence
    return ids, lengths


def pad_batch_major(sequences):
    """pad_batch with the axes the other way round: (B, T)."""
    ids, lengths = pad_batch(sequences)
    return ids.T.copy(), lengths


def embed(ids, table):
    return table[ids]


def last_step(hs, lengths):
    return hs[lengths - 1, np.arange(hs.shape[1])]


# ---------------------------------------------------------------- ex01


def rnn(act=np.tanh, b_hh=True, transpose_W_hh=True, post=None):
    def rnn_cell(x, h, params):
        W_hh = params["W_hh"].T if transpose_W_hh else params["W_hh"]
        a = x @ params["W_ih"].T + params["b_ih"] + h @ W_hh
        h = act(a + params["b_hh"] if b_hh else a)
        return post(h) if post else h

    return rnn_cell


def rnn_forward_of(cell, carry=True):
    def rnn_forward(xs, params, h0=None):
        B, H = xs.shape[1], params["W_hh"].shape[0]
        start = np.zeros((B, H), dtype=xs.dtype) if h0 is None else h0
        h, hs = start, []
        for x in xs:
            h = cell(x, h if carry else start, params)
            hs.append(h)
        return np.stack(hs), h

    return rnn_forward


def rnn_backward(through_time=True, tanh_factor=True, summed=True):
    """BPTT; ``tanh_factor=False`` leaves out 1 - h², ``summed=False`` overwrites the
    parameters' gradients at each step instead of adding them up."""
    forward = rnn_forward_of(rnn())

    def rnn_backward(xs, params, d_hs, h0=None):
        B, H = xs.shape[1], params["W_hh"].shape[0]
        h0 = np.zeros((B, H), dtype=xs.dtype) if h0 is None else h0
        hs, _ = forward(xs, params, h0)
        grads = {key: np.zeros_like(value) for key, value in params.items()}
        d_xs, dh = np.zeros_like(xs), np.zeros_like(h0)
        for t in reversed(range(len(xs))):
            dA = (d_hs[t] + (dh if through_time else 0)) * ((1 - hs[t] ** 2) if tanh_factor else 1)
            terms = {
                "W_ih": dA.T @ xs[t],
                "W_hh": dA.T @ (hs[t - 1] if t else h0),
                "b_ih": dA.sum(axis=0),
                "b_hh": dA.sum(axis=0),
            }
            for key, term in terms.items():
                grads[key] = grads[key] + term if summed else term
            d_xs[t] = dA @ params["W_ih"]
            dh = dA @ params["W_hh"]
        return {**grads, "xs": d_xs, "h0": dh}

    return rnn_backward


# ---------------------------------------------------------------- ex02, ex03


def lstm(order="ifgo", acts=None, b_hh=True, output_tanh=True, returns="hc", peepholes=None):
    """An LSTM step reading the gate blocks in ``order``, with ``acts`` overriding the
    activation of some gates, and peepholes (a dict gate -> what p multiplies) if given."""
    acts = {"i": sigmoid, "f": sigmoid, "g": np.tanh, "o": sigmoid, **(acts or {})}

    def lstm_cell(x, state, params):
        h, c = state
        z = x @ params["W_ih"].T + params["b_ih"] + h @ params["W_hh"].T
        z = z + params["b_hh"] if b_hh else z
        blocks = dict(zip(order, np.split(z, 4, axis=1), strict=True))
        peep = {gate: 0.0 for gate in "ifo"}
        for gate, source in (peepholes or {}).items():
            peep[gate] = params[f"p_{gate}"] * (h if source == "h" else c)
        i = acts["i"](blocks["i"] + peep["i"])
        f = acts["f"](blocks["f"] + peep["f"])
        c_new = f * c + i * acts["g"](blocks["g"])
        if (peepholes or {}).get("o") == "c_new":
            peep["o"] = params["p_o"] * c_new
        o = acts["o"](blocks["o"] + peep["o"])
        h_new = o * (np.tanh(c_new) if output_tanh else c_new)
        return (h_new, c_new) if returns == "hc" else (c_new, h_new)

    return lstm_cell


def lstm_forward_of(cell, carry=True, returns_c=False, zeros_dtype=None):
    """The loop over time; ``returns_c`` stores c_t in hs, ``zeros_dtype`` makes the zero
    state in that dtype instead of the dtype of xs."""

    def lstm_forward(xs, params, state0=None):
        B, H = xs.shape[1], params["W_hh"].shape[1]
        zeros = np.zeros((B, H), dtype=zeros_dtype or xs.dtype)
        start = (zeros, zeros) if state0 is None else state0
        state, hs = start, []
        for x in xs:
            state = cell(x, state if carry else start, params)
            hs.append(state[1] if returns_c else state[0])
        return np.stack(hs), state

    return lstm_forward


def peephole(o_source="c_new", everywhere=False):
    """The vanilla LSTM with peepholes on the gates asked for (or on all of them)."""

    def peephole_cell(x, state, params, peepholes="ifo"):
        gates = "ifo" if everywhere else peepholes
        sources = {gate: o_source if gate == "o" else "c" for gate in gates}
        return lstm(peepholes=sources)(x, state, params)

    return peephole_cell


def cifg(coupled=True):
    def cifg_cell(x, state, params):
        h, c = state
        z = x @ params["W_ih"].T + params["b_ih"] + h @ params["W_hh"].T + params["b_hh"]
        zi, zf, zg, zo = np.split(z, 4, axis=1)
        i = sigmoid(zi + params["p_i"] * c)
        f = 1 - i if coupled else sigmoid(zf)
        c = f * c + i * np.tanh(zg)
        o = sigmoid(zo + params["p_o"] * c)
        return o * np.tanh(c), c

    return cifg_cell


# ---------------------------------------------------------------- ex04


def gru(swap_conventions=False, reversed_update=False, z_act=sigmoid, b_hn_inside=True):
    def gru_cell(x, h, params, reset_after=True):
        after = reset_after != swap_conventions
        H = h.shape[1]
        W_hh, b_hh = params["W_hh"], params["b_hh"]
        u = x @ params["W_ih"].T + params["b_ih"]
        r = sigmoid(u[:, :H] + h @ W_hh[:H].T + b_hh[:H])
        z = z_act(u[:, H : 2 * H] + h @ W_hh[H : 2 * H].T + b_hh[H : 2 * H])
        b_hn = b_hh[2 * H :]
        if after and b_hn_inside:
            n = np.tanh(u[:, 2 * H :] + r * (h @ W_hh[2 * H :].T + b_hn))
        elif after:
            n = np.tanh(u[:, 2 * H :] + r * (h @ W_hh[2 * H :].T) + b_hn)
        else:
            n = np.tanh(u[:, 2 * H :] + (r * h) @ W_hh[2 * H :].T + b_hn)
        return z * n + (1 - z) * h if reversed_update else (1 - z) * n + z * h

    return gru_cell


def gru_forward_of(cell):
    def gru_forward(xs, params, h0=None, reset_after=True):
        B, H = xs.shape[1], params["W_hh"].shape[1]
        h = np.zeros((B, H), dtype=xs.dtype) if h0 is None else h0
        hs = []
        for x in xs:
            h = cell(x, h, params, reset_after)
            hs.append(h)
        return np.stack(hs), h

    return gru_forward


# ---------------------------------------------------------------- ex05


def dot_score(query, keys):
    return np.einsum("bd,bsd->bs", query, keys)


def scaled_dot_score(query, keys):
    return dot_score(query, keys) / np.sqrt(keys.shape[-1])


def general_score(query, keys, W):
    return np.einsum("bd,bsd->bs", query @ W, keys)


def additive_score(query, keys, W_q, W_k, v):
    return np.tanh((query @ W_q.T)[:, None, :] + keys @ W_k.T) @ v


def masked_softmax_of(masked=True, fill=-np.inf, stable=True, axis=1, max_axis=1):
    """A masked softmax over ``axis`` after subtracting the maximum over ``max_axis``."""

    def masked_softmax(scores, mask=None):
        if mask is not None and masked:
            scores = np.where(mask, scores, fill)
        with np.errstate(all="ignore"):  # the unstable ones make NaN on purpose
            e = np.exp(scores - scores.max(axis=max_axis, keepdims=True) if stable else scores)
            return e / e.sum(axis=axis, keepdims=True)

    return masked_softmax


def attend_of(score=scaled_dot_score, masked=True, average="values", softmax=None):
    softmax = softmax or masked_softmax_of(masked)

    def attend(query, keys, values, mask=None):
        weights = softmax(score(query, keys), mask)
        averaged = values if average == "values" else keys
        return np.einsum("bs,bsd->bd", weights, averaged), weights

    return attend


def lstm_backward(mistake=""):
    """BPTT of the LSTM as a student writes it: the forward again, keeping a cache of every
    step's gates, then back from the last step. ``mistake`` switches one usual mistake on."""

    def lstm_backward(xs, params, d_hs, state0=None):
        T, B, _ = xs.shape
        H = params["W_hh"].shape[1]
        zeros = (np.zeros((B, H), xs.dtype),) * 2
        h0, c0 = state0 if state0 is not None and mistake != "zero start" else zeros
        h, c, cache = h0, c0, []
        for x in xs:
            z = x @ params["W_ih"].T + params["b_ih"] + h @ params["W_hh"].T + params["b_hh"]
            i, f, o = (sigmoid(z[:, k * H : (k + 1) * H]) for k in (0, 1, 3))
            g = np.tanh(z[:, 2 * H : 3 * H])
            cache.append((x, h, c, i, f, g, o))
            c = f * c + i * g
            h = o * np.tanh(c)
            cache[-1] += (c,)
        grads = {key: np.zeros_like(value) for key, value in params.items()}
        dxs = np.zeros_like(xs)
        dh_next, dc_next = np.zeros_like(h0), np.zeros_like(c0)
        for t in range(T - 1, 0 if mistake == "loop stops at 1" else -1, -1):
            x, h_prev, c_prev, i, f, g, o, c = cache[t]
            if mistake == "h_prev wraps" and t == 0:
                h_prev = h  # hs[t - 1] at t = 0 is hs[-1], the state after the last step
            if mistake == "tanh factor on dh_next":  # as if h_t were tanh(a_t), as in the RNN
                dh_next = dh_next * (1 - (o * np.tanh(c)) ** 2)
            dh = d_hs[t] + (0 if mistake == "hidden path" else dh_next)
            if mistake == "only last" and t < T - 1 or mistake == "no d_hs":
                dh = dh_next
            tc = np.tanh(c_prev if mistake == "tanh of c_prev" else c)
            o_in_dc = 1 - o if mistake == "dc with 1 - o" else o
            dc = dh * o_in_dc * (1 if mistake == "tanh factor" else 1 - tc * tc)
            dc = dc + (0 if mistake == "cell path" else dc_next)
            di = dc * (i if mistake == "i times i" else g) * i * (1 - i)
            df = dc * (c if mistake == "f with c_t" else c_prev) * f * (1 - f)
            dg = dc * i * (g * (1 - g) if mistake == "g derivative" else 1 - g * g)
            do = dh * tc * o * (1 - o)
            blocks = {"i": di, "f": df, "g": dg, "o": do}
            order = "ifog" if mistake == "order" else "ifgo"
            dz = np.concatenate([blocks[k] for k in order], axis=1)
            for key, term in (("W_ih", dz.T @ x), ("W_hh", dz.T @ h_prev)):
                grads[key] = term if mistake == "overwritten" else grads[key] + term
            db = dz.mean(0) if mistake == "batch mean" else dz.sum(0)
            for key in ("b_ih", "b_hh"):
                grads[key] = db if mistake == "overwritten" else grads[key] + db
            dxs[T - 1 - t if mistake == "dxs reversed" else t] = dz @ params["W_ih"]
            dh_next = dz @ params["W_hh"]
            dc_next = dc * (1 if mistake == "forget factor" else f)
        dh0 = dh if mistake == "h0 is dh_1" else dh_next
        return {**grads, "xs": dxs, "h0": dh0, "c0": dc_next}

    return lstm_backward
