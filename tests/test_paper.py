"""The claims ledger: every claim well-formed, and paper values only where the paper
reports them (for that dataset and cell)."""

from neuronstats.paper import KINDS, claims, paper_value


def test_ledger_covers_the_papers_numbers_and_is_well_formed():
    c = claims()
    assert set(c.kind) <= set(KINDS) and c.claim_id.is_unique and len(c) >= 30
    ids = set(c.claim_id)
    for needed in ("pos-gutenberg-gru", "pos-lyrics-gru", "pos-lstm", "pos-2tokens", "storing-zero-lyrics",
                   "storing-previous-gutenberg", "counting-k3-gutenberg", "triggering-k4-lyrics",
                   "outputting-zero", "outputting-keep-only", "gates-z-keep-trigger", "gates-r-masked",
                   "x-t-negligible", "storing-stable", "counting-monotone", "outputting-near-pm1",
                   "storing-position-independent"):
        assert needed in ids, needed
    levels = c[c.kind.isin(["level", "drop"])]
    assert levels.paper_value.between(0, 1).all()


def test_table1_numbers_sit_on_their_rows():
    assert paper_value("lyrics", "gru", "storing.zero", "pooled: 10 tokens") == 0.107
    assert paper_value("gutenberg", "gru", "storing.zero", "pooled: 10 tokens") == 0.200
    assert paper_value("gutenberg", "gru", "storing.zero", "token 5 'the'") is None  # token rows: description
    assert paper_value("gutenberg", "gru", "counting.shift", "k = 3") == 0.989
    assert paper_value("lyrics", "gru", "triggering.early", "k = 4") == 0.841
    assert paper_value("gutenberg", "gru", "positioning.accuracy", "all examples") == 0.985
    assert paper_value("gutenberg", "gru", "gates.z_all", "token 40 'i'") == 0.067  # before masking (§5)
    assert paper_value("gutenberg", "gru", "gates.z_masked_trigger", "token 40 'i'") == 0.410
    assert paper_value("gutenberg", "gru", "gates.z_all", "token 41 'in'") is None


def test_no_lstm_row_carries_a_gru_only_number():
    for c in claims().itertuples():
        if c.cell != "gru":
            continue
        unit = "k = 1" if c.unit.startswith("k") else ("token 1 'i'" if c.unit.startswith("'") else c.unit)
        unit = "pooled: 10 tokens" if unit == "pooled" else unit
        for ds in c.dataset.split("+"):
            got = paper_value(ds, "lstm", c.test_id, unit if unit != "*" else "token 1 'x'")
            if c.test_id == "positioning.accuracy" and ds in ("gutenberg", "lyrics"):
                assert got == 0.975  # the paper's one LSTM number (its average over the datasets)
            else:
                assert got is None, (c.claim_id, got)
