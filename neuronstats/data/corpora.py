"""Corpus readers. Each returns a list of :class:`Document` (an id and its lines).

* :func:`read_gutenberg_dir` — a folder with one ``.txt`` per book (NLTK's
  selection, or Lahiri's ``Author___Title.txt`` files); Project Gutenberg
  header/footer stripped when present; any encoding decodes.
* :func:`read_lyrics_csv` — LyricsFreak ``songdata.csv``-style files (column
  ``text``; ``artist``/``song`` optional); a file whose last quoted field is
  cut off still loads, with a warning; repeated songs are dropped.
* :func:`read_text_file` — one plain text file, one document.
* :func:`synthetic_corpus` — seeded Zipf-distributed random lines.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from neuronstats.errors import InputError


@dataclass(frozen=True)
class Document:
    doc_id: str
    lines: tuple[str, ...]


_PG_START = re.compile(r"^\*\*\*\s*START OF (THIS|THE) PROJECT GUTENBERG", re.I)
_PG_END = re.compile(r"^\*\*\*\s*END OF (THIS|THE) PROJECT GUTENBERG|^End of (the )?Project Gutenberg", re.I)


def decode_bytes(raw: bytes) -> str:
    """UTF-8 (with or without BOM), else cp1252, else latin-1 — never fails."""
    for enc in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            pass
    return raw.decode("latin-1")


def strip_gutenberg_boilerplate(lines: list[str]) -> list[str]:
    start, end = 0, len(lines)
    for i, line in enumerate(lines):
        if _PG_START.match(line):
            start = i + 1
            break
    for i in range(len(lines) - 1, start - 1, -1):
        if _PG_END.match(lines[i]):
            end = i
            break
    return lines[start:end]


def read_text_file(path, doc_id: str | None = None) -> Document:
    path = Path(path)
    if not path.is_file():
        raise InputError("text file not found", path=path, expected="a plain text file")
    text = decode_bytes(path.read_bytes())
    lines = strip_gutenberg_boilerplate(text.splitlines())
    return Document(doc_id or path.stem, tuple(line.rstrip() for line in lines))


def read_gutenberg_dir(path, chunk_lines: int = 0) -> list[Document]:
    """Read every ``*.txt`` book in a folder. ``chunk_lines > 0`` cuts each book
    into documents of that many lines (the unit of the train/test split)."""
    path = Path(path)
    if not path.is_dir():
        raise InputError("Gutenberg folder not found", path=path, expected="a folder of .txt books")
    files = sorted(p for p in path.glob("*.txt") if p.is_file())
    if not files:
        raise InputError("no .txt books in the Gutenberg folder", path=path, expected="one .txt file per book")
    docs = []
    for f in files:
        book = read_text_file(f, doc_id=f.stem.replace("___", "/"))
        if chunk_lines > 0:
            for k in range(0, len(book.lines), chunk_lines):
                docs.append(Document(f"{book.doc_id}#{k // chunk_lines}", book.lines[k : k + chunk_lines]))
        else:
            docs.append(book)
    return docs


def _open_csv_text(path: Path) -> str:
    return decode_bytes(path.read_bytes())


def read_lyrics_csv(path) -> list[Document]:
    """Read one LyricsFreak CSV (or a folder of them). One document per distinct song."""
    path = Path(path)
    if path.is_dir():
        files = sorted(path.glob("*.csv"))
        if not files:
            raise InputError("no .csv files in the lyrics folder", path=path, expected="LyricsFreak CSV files")
        docs, seen = [], set()
        for f in files:
            for d in read_lyrics_csv(f):
                key = d.doc_id.rsplit("|", 1)[1]
                if key not in seen:
                    seen.add(key)
                    docs.append(d)
        return docs
    if not path.is_file():
        raise InputError("lyrics file not found", path=path, expected="a LyricsFreak CSV file")
    text = _open_csv_text(path)
    if not text.strip():
        raise InputError("lyrics file is empty", path=path, expected="a header line with a 'text' column")
    if text.count('"') % 2 == 1:
        warnings.warn(f"{path}: the last quoted field is cut off (odd number of quotes); "
                      "reading what is there", stacklevel=2)
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise InputError("lyrics file has no header", path=path, line=1) from None
    cols = [h.strip().lower() for h in header]
    if "text" not in cols:
        raise InputError(f"no 'text' column (columns: {', '.join(header)})", path=path, line=1,
                         expected="a header with a 'text' column")
    i_text = cols.index("text")
    i_artist = cols.index("artist") if "artist" in cols else None
    i_song = cols.index("song") if "song" in cols else None
    docs, seen = [], set()
    try:
        for row in reader:
            if len(row) <= i_text:
                continue
            lines = tuple(ln.strip() for ln in row[i_text].splitlines())
            key = hashlib.sha1("\n".join(ln for ln in lines if ln).lower().encode()).hexdigest()[:16]
            if key in seen or not any(lines):
                continue
            seen.add(key)
            artist = row[i_artist] if i_artist is not None else ""
            song = row[i_song] if i_song is not None else ""
            docs.append(Document(f"{path.name}:{reader.line_num}:{artist}:{song}|{key}", lines))
    except csv.Error as exc:
        raise InputError(f"malformed CSV: {exc}", path=path, line=reader.line_num) from None
    if not docs:
        raise InputError("no songs in lyrics file", path=path, expected="rows with lyrics in 'text'")
    return docs


def synthetic_corpus(n_docs: int, lines_per_doc: int, vocab: int, min_len: int, max_len: int,
                     zipf: float = 1.1, seed: int = 0) -> list[Document]:
    """Documents of random lines; word ``sK`` has Zipf(``zipf``) frequency rank K."""
    rng = np.random.default_rng(seed)
    p = 1.0 / np.arange(1, vocab + 1) ** zipf
    p /= p.sum()
    words = np.array([f"s{k}" for k in range(vocab)])
    docs = []
    for d in range(n_docs):
        lens = rng.integers(min_len, max_len + 1, size=lines_per_doc)
        toks = rng.choice(vocab, size=int(lens.sum()), p=p)
        lines, k = [], 0
        for n in lens:
            lines.append(" ".join(words[toks[k : k + n]]))
            k += n
        docs.append(Document(f"synth{d}", tuple(lines)))
    return docs
