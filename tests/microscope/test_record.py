import numpy as np
import pytest
import torch

from neuronstats.data.cache import prepare
from neuronstats.microscope.record import record
from neuronstats.model.decode import greedy_decode
from neuronstats.model.seq2seq import Seq2Seq
from tests.conftest import tiny_config


@pytest.fixture(params=["gru", "lstm"])
def model_and_examples(request):
    cfg = tiny_config()
    ds = prepare(cfg.data)
    torch.manual_seed(0)
    model = Seq2Seq(request.param, len(ds.vocab), 8, 12).eval()
    ex = ds.examples("test", 0)
    return model, ex.subset(np.arange(min(30, len(ex))))


def test_greedy_recording_matches_decoding_and_encoder(model_and_examples):
    model, ex = model_and_examples
    rec = record(model, ex, "greedy", chunk=16)
    assert (rec.outputs == greedy_decode(model, ex)).all()
    final = model.encode(torch.as_tensor(ex.src), torch.as_tensor(ex.src_len))
    np.testing.assert_allclose(rec.h(0), final[0].detach().numpy(), atol=1e-5)
    np.testing.assert_allclose(rec.enc_h[:, -1], final[0].detach().numpy(), atol=1e-5)
    # t = -1 is the state after reading w: encoding the source without <pT> ends there
    short = model.encode(torch.as_tensor(ex.src), torch.as_tensor(ex.src_len - 1))
    np.testing.assert_allclose(rec.h(-1), short[0].detach().numpy(), atol=1e-5)
    short_i = int(ex.src_len.argmin())
    pad = rec.enc_h.shape[1] - ex.src_len[short_i]  # columns before its first token
    assert np.isnan(rec.enc_h[short_i, :pad]).all() and not np.isnan(rec.enc_h[short_i, pad:]).any()
    assert set(rec.gates) == ({"z", "r", "n"} if model.cell == "gru" else {"i", "f", "g", "o"})


def test_teacher_recording_matches_nn_rnn(model_and_examples):
    model, ex = model_and_examples
    rec = record(model, ex, "teacher")
    state = model.encode(torch.as_tensor(ex.src), torch.as_tensor(ex.src_len))
    tgt = torch.as_tensor(ex.tgt)
    dec_in = torch.cat([torch.full_like(tgt[:, :1], 2), tgt[:, :-1]], 1)
    ref = model.decode_teacher(state, dec_in)[:, : rec.dec_h.shape[1]]
    np.testing.assert_allclose(rec.dec_h, ref.detach().numpy(), atol=1e-5)
    assert rec.mode == "teacher"


def test_select_window_relative_to_T(model_and_examples):
    model, ex = model_and_examples
    rec = record(model, ex)
    X, e, t = rec.select("-1", "T-1")
    for i in range(3):
        ts = t[e == i]
        assert list(ts) == list(range(-1, ex.T[i, 0]))
        np.testing.assert_array_equal(X[e == i], np.stack([rec.h(int(s))[i] for s in ts]))
    with pytest.raises(ValueError, match="expected an int"):
        rec.select("-1", "end")


def test_float16_storage_matches_float32(model_and_examples):
    model, ex = model_and_examples
    rec16, rec32 = record(model, ex, dtype=np.float16), record(model, ex)
    assert rec16.dec_h.dtype == np.float16
    np.testing.assert_allclose(rec16.dec_h.astype(np.float32), rec32.dec_h, atol=2e-3)
