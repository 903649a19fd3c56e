"""A researcher's own encoder–decoder, written and trained in plain PyTorch (nothing of
neuronstats in this file): the model the README's "Your own model" example analyses, and
the one tests/test_any_model.py puts through every step of the method.

The task is the paper's, on a toy vocabulary: the source is 3–6 words, then w and the
position token <pT>; the target is 'x' as long as the source, with w at position T.

    python analyses/own_model.py    # trains a GRU for 120 steps (about 20 s) and prints its loss
"""

from __future__ import annotations

import torch
from torch import nn

WORDS = [f"w{i}" for i in range(12)]
ITOS = ["<pad>", "<sos>", "<eos>"] + [f"<p{T}>" for T in range(1, 7)] + WORDS + ["x"]
ID = {t: i for i, t in enumerate(ITOS)}


def make_items(n: int, gen: torch.Generator) -> list:
    """``n`` (source, target, w, T) tuples of the task."""
    items = []
    for _ in range(n):
        L = int(torch.randint(3, 7, (1,), generator=gen))
        src = [WORDS[int(i)] for i in torch.randint(0, len(WORDS), (L,), generator=gen)]
        T = int(torch.randint(1, L + 1, (1,), generator=gen))
        w = WORDS[int(torch.randint(0, len(WORDS), (1,), generator=gen))]
        tgt = ["x"] * L
        tgt[T - 1] = w
        items.append((src, tgt, w, T))
    return items


def train_plain(cell: type = nn.GRU, steps: int = 120, seed: int = 0, verbose: bool = False):
    """Embedding, encoder and decoder of type ``cell`` (nn.GRU, nn.LSTM, nn.RNN), and the
    output layer, trained with Adam under teacher forcing."""
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    emb, out = nn.Embedding(len(ITOS), 24), nn.Linear(48, len(ITOS))
    enc, dec = cell(24, 48, batch_first=True), cell(24, 48, batch_first=True)
    params = [p for m in (emb, out, enc, dec) for p in m.parameters()]
    opt = torch.optim.Adam(params, lr=1e-2)
    for step in range(steps):
        batch = make_items(64, gen)
        src = torch.tensor([[ID[t] for t in s] + [ID[w], ID[f"<p{T}>"]] + [0] * (6 - len(s))
                            for s, _, w, T in batch])
        tgt = torch.tensor([[ID[t] for t in g] + [ID["<eos>"]] + [0] * (6 - len(g)) for _, g, _, _ in batch])
        lens = torch.tensor([len(s) + 2 for s, *_ in batch])
        packed = nn.utils.rnn.pack_padded_sequence(emb(src), lens, batch_first=True, enforce_sorted=False)
        _, state = enc(packed)
        dec_in = torch.cat([torch.full_like(tgt[:, :1], ID["<sos>"]), tgt[:, :-1]], 1)
        hs, _ = dec(emb(dec_in), state)
        loss = nn.functional.cross_entropy(out(hs).reshape(-1, len(ITOS)), tgt.reshape(-1), ignore_index=0)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if verbose and (step + 1) % 20 == 0:
            print(f"step {step + 1}: loss {loss.item():.3f}")
    return emb, enc, dec, out


if __name__ == "__main__":
    train_plain(verbose=True)
