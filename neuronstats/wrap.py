"""Any recurrent encoder–decoder, not only ours: wrap a PyTorch model's modules and its
vocabulary, and build the examples from your own (source, target, w, T) tuples.

>>> import torch, neuronstats as ns
>>> itos = ["<pad>", "<sos>", "<eos>", "<p1>", "<p2>", "<p3>", "a", "b", "c"]
>>> emb, out = torch.nn.Embedding(9, 8), torch.nn.Linear(16, 9)
>>> enc, dec = torch.nn.GRU(8, 16, batch_first=True), torch.nn.GRU(8, 16, batch_first=True)
>>> model = ns.from_torch(emb, enc, dec, out, vocab=itos)
>>> model.cell, model.state_names, model.sos_id
('gru', ('h',), 1)
>>> ex = ns.examples_from([("a b".split(), "b c a".split(), "c", 2)], vocab=itos)
>>> ex.src.tolist(), int(ex.T[0, 0])
([[6, 7, 8, 4]], 2)
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from neuronstats.errors import InputError
from neuronstats.examples import Examples
from neuronstats.model.seq2seq import Seq2Seq


def _position_id(itos: list, position: Callable[[int], str]):
    index = {t: i for i, t in enumerate(itos)}

    def pid(T: int) -> int:
        tok = position(T)
        if tok not in index:
            raise InputError(f"no position token {tok!r} for T = {T} in the vocabulary",
                             expected="the vocabulary's control tokens, or position= naming them")
        return index[tok]
    return pid


def from_torch(embedding, encoder, decoder, out, vocab: Sequence[str], decoder_embedding=None, pad: str = "<pad>",
               sos: str = "<sos>"):
    """Your encoder–decoder, ready for every finding and test of the package.

    Parameters
    ----------
    embedding : the encoder's ``nn.Embedding`` (shared with the decoder unless
        ``decoder_embedding`` is given).
    encoder, decoder : one-layer unidirectional ``nn.GRU``, ``nn.LSTM`` or ``nn.RNN`` (tanh);
        the encoder's final state is the decoder's first.
    out : the ``nn.Linear`` from the decoder's state to the vocabulary's logits.
    vocab : the token of each id.
    decoder_embedding : the decoder's own input map (e.g. ``nn.Sequential(emb, nn.ReLU())``).
    pad, sos : the padding token and the decoder's first input token.

    Returns
    -------
    A :class:`~neuronstats.model.seq2seq.Seq2Seq` sharing your modules' weights (eval mode),
    with ``vocab_itos`` set; its gates are recomputed from the modules' weights and equal
    their own outputs (tested).

    Examples
    --------
    >>> import torch, neuronstats as ns
    >>> itos = ["<pad>", "<sos>", "<eos>", "<p1>", "<p2>", "<p3>", "a", "b", "c"]
    >>> emb, out = torch.nn.Embedding(9, 8), torch.nn.Linear(16, 9)
    >>> model = ns.from_torch(emb, torch.nn.LSTM(8, 16), torch.nn.LSTM(8, 16), out, vocab=itos)
    >>> model.cell, model.state_names, model.sos_id
    ('lstm', ('h', 'c'), 1)
    """
    itos = list(vocab)
    for tok, what in ((pad, "pad"), (sos, "sos")):
        if tok not in itos:
            raise InputError(f"the vocabulary has no {what} token {tok!r}",
                             expected=f"{what}= naming one of its tokens")
    if out.out_features != len(itos):
        raise InputError(f"the output layer has {out.out_features} logits but the vocabulary {len(itos)} tokens",
                         expected="vocab = the token of each output id")
    try:
        specials = {pad, sos, "<eos>", "<unk>"}
        n_special = next((i for i, t in enumerate(itos) if t not in specials), len(itos))
        model = Seq2Seq.wrap(embedding, encoder, decoder, out, decoder_embedding, pad_id=itos.index(pad),
                             sos_id=itos.index(sos), n_special=n_special)
    except ValueError as exc:
        raise InputError(str(exc), expected="nn.Embedding + nn.GRU/nn.LSTM/nn.RNN + nn.Linear") from None
    model.vocab_itos = itos
    return model


def examples_from(items, vocab: Sequence[str], position: Callable[[int], str] = lambda T: f"<p{T}>",
                  control: str | Callable = "append", eos: str | None = "<eos>") -> Examples:
    """Examples from your own ``(source, target, w, T)`` tuples (tokens as strings or ids;
    ``T`` 1-based: ``w`` must come out at step T).

    ``control`` says how (w, T) enter the model: ``"append"`` (the paper's: the source,
    then w, then the position token ``position(T)``), or a function ``(source ids, w id,
    T) -> source ids`` for another format. ``eos`` ends each target (None: nothing).

    Examples
    --------
    >>> import neuronstats as ns
    >>> itos = ["<pad>", "<sos>", "<eos>", "<p1>", "<p2>", "<p3>", "a", "b", "c"]
    >>> ex = ns.examples_from([("a b".split(), "b c a".split(), "c", 2)], vocab=itos)
    >>> ex.src.tolist(), ex.tgt.tolist(), int(ex.T[0, 0])
    ([[6, 7, 8, 4]], [[7, 8, 6, 2]], 2)
    """
    itos = list(vocab)
    index = {t: i for i, t in enumerate(itos)}

    def ids(seq, where):
        out = []
        for tok in seq:
            if isinstance(tok, (int, np.integer)):
                out.append(int(tok))
            elif tok in index:
                out.append(index[tok])
            else:
                raise InputError(f"{where}: token {tok!r} is not in the vocabulary", expected="tokens of vocab")
        return out

    pid = _position_id(itos, position)
    srcs, tgts, ws, Ts = [], [], [], []
    for n, item in enumerate(items):
        if len(item) != 4:
            raise InputError(f"item {n} has {len(item)} fields", expected="(source, target, w, T)")
        source, target, w, T = item
        s, t = ids(source, f"item {n} source"), ids(target, f"item {n} target")
        (wid,) = ids([w], f"item {n} w")
        if not 1 <= int(T) <= len(t) or t[int(T) - 1] != wid:
            raise InputError(f"item {n}: w = {w!r} is not at position T = {T} of its target",
                             expected="target[T - 1] == w (T is 1-based)")
        srcs.append(s + [wid, pid(int(T))] if control == "append" else list(control(s, wid, int(T))))
        tgts.append(t + ([index[eos]] if eos is not None and eos in index else []))
        ws.append(wid)
        Ts.append(int(T))
    if not srcs:
        raise InputError("no examples given", expected="a list of (source, target, w, T)")
    ls, lt = np.array([len(x) for x in srcs]), np.array([len(x) for x in tgts])
    src = np.zeros((len(srcs), ls.max()), np.int64)
    tgt = np.zeros((len(tgts), lt.max()), np.int64)
    for i, (s, t) in enumerate(zip(srcs, tgts)):
        src[i, : len(s)], tgt[i, : len(t)] = s, t
    return Examples(src, ls, tgt, lt, np.array(ws)[:, None], np.array(Ts)[:, None], np.arange(len(srcs)), 0, itos)
