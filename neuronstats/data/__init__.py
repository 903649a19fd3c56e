"""Corpora → tokens → line pairs → control-signal examples."""
