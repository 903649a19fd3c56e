import pytest
import torch

from neuronstats.model.seq2seq import Seq2Seq


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_explicit_step_matches_torch_rnn(cell):
    torch.manual_seed(0)
    m = Seq2Seq(cell, vocab_size=30, emb=8, hidden=12)
    src = torch.randint(4, 30, (5, 7))
    state = m.encode(src, torch.full((5,), 7))
    dec_in = torch.randint(4, 30, (5, 6))
    ref = m.decode_teacher(state, dec_in)  # nn.GRU / nn.LSTM
    st = state
    for t in range(6):
        st, gates, logits = m.step(dec_in[:, t], st)
        torch.testing.assert_close(st[0], ref[:, t], atol=1e-6, rtol=1e-5)
        torch.testing.assert_close(logits, m.out(ref[:, t]), atol=1e-5, rtol=1e-5)
    expected = {"z", "r", "n"} if cell == "gru" else {"i", "f", "g", "o", "c"}
    assert set(gates) == expected
    if cell == "gru":  # h' = (1 - z) n + z h, recomputed from the returned gates
        h_prev = ref[:, 4]
        torch.testing.assert_close(st[0], (1 - gates["z"]) * gates["n"] + gates["z"] * h_prev)
    else:
        torch.testing.assert_close(st[0], gates["o"] * torch.tanh(gates["c"]))


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_encode_ignores_padding_and_encode_all_matches(cell):
    torch.manual_seed(1)
    m = Seq2Seq(cell, vocab_size=20, emb=6, hidden=10)
    seq = torch.randint(4, 20, (1, 4))
    padded = torch.cat([seq, torch.zeros(1, 3, dtype=torch.long)], dim=1)
    a = m.encode(seq, torch.tensor([4]))
    b = m.encode(padded, torch.tensor([4]))
    for x, y in zip(a, b):
        torch.testing.assert_close(x, y)
    allst = m.encode_all(seq, torch.tensor([4]))
    for x, y in zip(allst, a):
        torch.testing.assert_close(x[:, -1], y, atol=1e-6, rtol=1e-5)


def test_bad_cell():
    with pytest.raises(ValueError, match="gru"):
        Seq2Seq("transformer", 10, 4, 4)


def test_every_cell_adapter_matches_its_torch_module_and_the_settings_list_them():
    """A new cell is one adapter: its explicit step equals the torch module's, and the
    settings' list of cells (config.CELLS) is the adapters' list."""
    import torch

    from neuronstats.config import CELLS
    from neuronstats.model.cells import ADAPTERS, adapter_for
    from neuronstats.model.seq2seq import Seq2Seq

    assert tuple(ADAPTERS) == CELLS
    torch.manual_seed(0)
    for cell in CELLS:
        m = Seq2Seq(cell, 30, 8, 12).eval()
        tok = torch.randint(4, 30, (5,))
        state = tuple(torch.randn(5, 12) for _ in m.state_names)
        explicit, gates, logits = m.step(tok, state)
        fast = m.advance(tok, state)
        assert all(torch.allclose(a, b, atol=1e-5) for a, b in zip(explicit, fast)), cell
        assert set(m.gate_names) == set(gates) and adapter_for(m.decoder) is m.adapter
