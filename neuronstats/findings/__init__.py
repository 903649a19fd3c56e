"""Each finding of the paper as hypothesis tests returning stats rows (docs/statistics.md)."""
