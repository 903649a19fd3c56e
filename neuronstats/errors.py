"""One exception type for bad input: it names the file, the line and what was expected."""

from __future__ import annotations


class InputError(ValueError):
    """Bad user input (data file, config, checkpoint). The CLI prints it as one line."""

    def __init__(self, what: str, *, path=None, line: int | None = None, expected: str | None = None):
        where = ""
        if path is not None:
            where = f"{path}"
            if line is not None:
                where += f", line {line}"
            where += ": "
        msg = where + what
        if expected:
            msg += f" (expected {expected})"
        super().__init__(msg)
        self.path = path
        self.line = line


class InsufficientData(ValueError):
    """The data cannot support a test (too few correctly positioned examples of a token,
    labels that do not vary, an attribution that did not converge). A finding reports it
    as a "(not run)" row saying why; any other exception is a bug and propagates."""
