"""The statistics engine: every finding becomes rows of one schema (:mod:`.row`) with a
null (:mod:`.permutation`, :mod:`.controls`), a seed-level CI (:mod:`.bootstrap`), an
effect size (:mod:`.effects`) and a corrected p-value (:mod:`.multitest`);
GRU-vs-LSTM comparisons live in :mod:`.compare`. Everything works on plain arrays."""
