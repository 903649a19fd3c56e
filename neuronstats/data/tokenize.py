r"""Tokenizer.

Tokenizer: lower-case; Gutenberg's ``_italics_`` underscores removed; a token is
a run of letters/digits of any script with inner apostrophes (``don't``, ``o'er``,
``café``, ``naïve``) or a single punctuation character. ``"Look at her face, it's"``
→ ``["look", "at", "her", "face", ",", "it's"]``. Python's ``re`` classes are
Unicode-aware (``[^\W_]`` is "a letter or digit of any script"), so no extra library
is needed for this rule; text is NFC-normalised first so that a composed and a
decomposed "é" are one token.

The vocabulary built from the tokens is :class:`neuronstats.vocab.Vocab`.
"""

from __future__ import annotations

import re
import unicodedata

_TOKEN = re.compile(r"[^\W_]+(?:'[^\W_]+)*|[^\w\s]")


def tokenize(line: str) -> list[str]:
    """Split one line of text into lower-case word and punctuation tokens."""
    if not line.isascii():
        line = unicodedata.normalize("NFC", line).replace("\u2019", "'")
    line = line.lower().replace("_", " ")
    return _TOKEN.findall(line)
