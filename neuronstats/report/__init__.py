"""Tables (CSV, LaTeX) and figures from stats rows."""
