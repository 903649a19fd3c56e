"""Corpus readers. Each returns a list of :class:`Document` (an id and its lines).

* :func:`read_gutenberg_dir` / :func:`iter_gutenberg` — a folder with one ``.txt``
  per book (NLTK's selection, or Lahiri's ``Author___Title.txt`` files), or the zip
  archive the Lahiri dataset is distributed in, read in place; Project Gutenberg
  header/footer stripped when present; see :func:`decode_text` for encodings.
* :func:`read_lyrics_csv` — LyricsFreak ``songdata.csv``-style files (column
  ``text``; ``artist``/``song`` optional); a file whose last quoted field is
  cut off still loads, with a warning; repeated songs are dropped.
* :func:`read_text_file` — one plain text file, split into documents by blank
  lines (or ``chunk_lines``).
* :func:`synthetic_corpus` — seeded Zipf-distributed random lines.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
import sys
import threading
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from neuronstats.errors import InputError


@dataclass(frozen=True)
class Document:
    doc_id: str
    lines: tuple[str, ...]


_PG_START = re.compile(r"^\*\*\*\s*START OF (THIS|THE) PROJECT GUTENBERG", re.I)
_PG_END = re.compile(r"^\*\*\*\s*END OF (THIS|THE) PROJECT GUTENBERG|^End of (the )?Project Gutenberg", re.I)
_CONTROL = bytes(range(0, 9)) + bytes(range(14, 32))  # control bytes that plain text never holds


def decode_text(raw: bytes, path="<bytes>") -> str:
    """Decode a text file honestly.

    * A byte-order mark decides (UTF-8, UTF-16 LE/BE); BOM-less UTF-16 is recognised
      by its pattern of NUL bytes.
    * A binary file (many NUL or control bytes) is refused with an :class:`InputError`
      that names it.
    * Otherwise UTF-8; an invalid byte is decoded *on its own* as cp1252 (so a stray
      Latin-1 "£" stays "£") and a stray NUL is dropped, each with one warning per
      file giving the lines. The rest of the file is never re-decoded.
    """
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8):]
    elif raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _decode_strict(raw, "utf-16", path)
    head = raw[:4096]
    if head and head.count(0) > len(head) // 4:
        even, odd = head[0::2].count(0), head[1::2].count(0)
        if max(even, odd) > len(head) // 4 and min(even, odd) <= len(head) // 50:  # one NUL per ASCII char
            return _decode_strict(raw, "utf-16-be" if even > odd else "utf-16-le", path)
    if head and sum(head.count(c) for c in _CONTROL) > max(2, len(head) // 100):
        raise InputError("a binary file, not text", path=path, expected="a plain text file (UTF-8 or UTF-16)")
    try:
        text, bad = raw.decode("utf-8"), []
    except UnicodeDecodeError:
        _BAD.positions = bad = []
        text = raw.decode("utf-8", errors="neuronstats-cp1252-byte")
    nul = text.count("\x00")
    if nul:
        text = text.replace("\x00", "")
    if bad or nul:
        lines = sorted({raw.count(b"\n", 0, i) + 1 for i in bad})
        shown = ", ".join(map(str, lines[:5])) + (" ..." if len(lines) > 5 else "")
        what = []
        if bad:
            what.append(f"{len(bad)} byte(s) that are not UTF-8 read as cp1252 (line(s) {shown})")
        if nul:
            what.append(f"{nul} NUL character(s) dropped")
        warnings.warn(f"{path}: " + "; ".join(what), stacklevel=2)
    return text


_BAD = threading.local()


def _cp1252_byte(err: UnicodeDecodeError):
    """Codec error handler: decode one invalid UTF-8 byte as cp1252 and note where."""
    _BAD.positions.append(err.start)
    return err.object[err.start : err.start + 1].decode("cp1252", errors="replace"), err.start + 1


codecs.register_error("neuronstats-cp1252-byte", _cp1252_byte)


def _decode_strict(raw: bytes, encoding: str, path) -> str:
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise InputError(f"not valid {encoding.upper()} at byte {exc.start}", path=path,
                         expected="a plain text file") from None


def decode_bytes(raw: bytes) -> str:
    """Kept for callers of the old name: :func:`decode_text` without a path."""
    return decode_text(raw)


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


def _book(text: str, doc_id: str, chunk_lines: int) -> list[Document]:
    lines = tuple(line.rstrip() for line in strip_gutenberg_boilerplate(text.splitlines()))
    if chunk_lines <= 0:
        return [Document(doc_id, lines)]
    return [Document(f"{doc_id}#{k // chunk_lines}", lines[k : k + chunk_lines])
            for k in range(0, len(lines), chunk_lines)]


def read_text_file(path, doc_id: str | None = None, chunk_lines: int = 0) -> list[Document]:
    """One plain text file as documents: blocks separated by blank lines (poems, songs,
    paragraphs), or, with ``chunk_lines > 0``, runs of that many lines. The documents
    are the unit of the train/validation/test split."""
    path = Path(path)
    if not path.is_file():
        raise InputError("text file not found", path=path, expected="a plain text file")
    text = decode_text(path.read_bytes(), path)
    stem = doc_id or path.stem
    if chunk_lines > 0:
        return _book(text, stem, chunk_lines)
    docs, block = [], []
    for line in [*strip_gutenberg_boilerplate(text.splitlines()), ""]:
        if line.strip():
            block.append(line.rstrip())
        elif block:
            docs.append(Document(f"{stem}#{len(docs)}", tuple(block)))
            block = []
    return docs


def gutenberg_files(path) -> list[tuple[str, object]]:
    """The books of a Gutenberg corpus: a folder of ``.txt`` files, or the zip archive
    the Lahiri dataset is distributed in (read in place). Returns sorted
    ``(name, reader)`` pairs; ``reader()`` gives the file's bytes."""
    path = Path(path)
    if path.is_file() and zipfile.is_zipfile(path):
        zf = zipfile.ZipFile(path)
        names = sorted(n for n in zf.namelist() if n.lower().endswith(".txt") and not n.endswith("/"))
        if not names:
            raise InputError("no .txt books in the zip archive", path=path, expected="one .txt file per book")
        return [(n, lambda n=n: zf.read(n)) for n in names]
    if not path.is_dir():
        hint = " (a .zip of books works too)" if not path.suffix else ""
        raise InputError("Gutenberg folder not found" + hint, path=path, expected="a folder or zip of .txt books")
    files = sorted(p for p in path.glob("*.txt") if p.is_file())
    if not files:
        raise InputError("no .txt books in the Gutenberg folder", path=path, expected="one .txt file per book")
    return [(f.name, f.read_bytes) for f in files]


def iter_gutenberg(path, chunk_lines: int = 0, progress: bool = False):
    """Yield the documents of a Gutenberg corpus book by book (a folder or a zip)."""
    files = gutenberg_files(path)
    for name, read in tqdm(files, desc="reading books", unit="book", disable=not progress):
        stem = Path(name).stem
        yield from _book(decode_text(read(), f"{path}:{name}" if Path(path).is_file() else Path(path) / name),
                         stem.replace("___", "/"), chunk_lines)


def read_gutenberg_dir(path, chunk_lines: int = 0) -> list[Document]:
    """Read every ``*.txt`` book in a folder (or zip archive). ``chunk_lines > 0`` cuts
    each book into documents of that many lines (the unit of the train/test split)."""
    return list(iter_gutenberg(path, chunk_lines))


def _open_csv_text(path: Path) -> str:
    return decode_text(path.read_bytes(), path)


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
