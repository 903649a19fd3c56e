"""Each finding of the paper as hypothesis tests returning stats rows (DESIGN.md §6)."""
