"""Download a corpus, verify its sha256, write atomically, unpack.

``neuronstats data fetch gutenberg --to DIR`` → ``DIR/gutenberg/*.txt`` (NLTK's
Gutenberg selection, each known book's sha256 checked after unpacking);
``neuronstats data fetch lyrics --to DIR`` → ``DIR/lyrics/*.csv``. The URL is
overridable (``--url``, e.g. a mirror or a full LyricsFreak ``songdata.csv``);
``--sha256`` checks the downloaded file itself. Nothing is left half-written:
downloads go to a temporary file that is renamed only once verified.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from tqdm.auto import tqdm

from neuronstats.errors import InputError


@dataclass(frozen=True)
class Source:
    url: str
    filename: str  # name of the downloaded file
    sha256: str | None  # of the downloaded file, when known
    members: dict = field(default_factory=dict)  # unpacked file name -> sha256
    subdir: str | None = None  # folder under --to (default: the dataset's name; "" = --to itself)
    unpack: bool = True  # a .zip is unpacked (False: kept as the archive, read in place)


SOURCES = {
    "gutenberg": Source(
        "https://raw.githubusercontent.com/nltk/nltk_data/gh-pages/packages/corpora/gutenberg.zip",
        "gutenberg.zip", None, {
            "austen-emma.txt": "71b0923d75fcf2f1faa897b22da8de8e2476d7478a2b22388eb58a3420e00215",
            "austen-persuasion.txt": "cec097657cbfeb62aafe178973f514fa07ab66a5e28ea025ebd5d51ca870e40f",
            "austen-sense.txt": "57b169c7cfa502896dee25bd66616f61cc1d21084caf31f015176ee46fda9718",
            "blake-poems.txt": "840897a66e23a47dd1fd56b864f421b2be0af074dc081244f7995bf26939eee9",
            "chesterton-ball.txt": "c6b6d4e8c09a3f49a09f37f4e47663d4d6f048b62d86c70ccafdfd8f27059a58",
            "chesterton-brown.txt": "67027976205b4b30e367c704807f56c8ffac3e8ea6037d993e57ab1fe28447ec",
            "chesterton-thursday.txt": "8b431a2a8db84089cd6f83fa66610c3b12c04114609df6e90137c0c58f2c5493",
            "melville-moby_dick.txt": "dc2466ee3c2e6e2ea1f86233d142e4b5578fdc1d6f0ca657bee7572202a980c7",
            "milton-paradise.txt": "49028a77c557de1459e96c026edbe72997be2d9015925f7baefb793cd6fe706f",
            "shakespeare-caesar.txt": "7c46bd32fc84d9596bcad55b61ec3c1a390239acb190b286422855aafc2774b3",
            "shakespeare-hamlet.txt": "1eceab7027ad7e0cc25c6b6aadcb2e6bb070395cb2085f775ac732d63d5db240",
            "shakespeare-macbeth.txt": "d4a204352cfe5924cbae76f764225d120e9f7617d39cb8c949dedd3f306353ac",
            "whitman-leaves.txt": "93ebaf1dccc8f1514b4b1c2f52e64e81829113fc58cff63fb51ada0c72f99c3e",
        }),
    "lyrics": Source(
        "https://raw.githubusercontent.com/Akash20x/Lyrics-Generation/"
        "e8e704a0155ec0a62cb68ac4f88b34eda075065f/songdata.csv",
        "lyricsfreak-sample-a.csv",
        "45b0cf9f79ed45783f49c7de4e96a6eff048a9308ccda711022896a7a92a67e6"),
    # The replication's corpora. No public host serves these exact copies, so --url names
    # the user's mirror; the checksum still proves it is the same file.
    "gutenberg-lahiri": Source(
        "", "gutenberg-lahiri.zip", "c25b85bfdae8bf86efb7fff82f41b7c76df7497c3c2fc413dd70b75366fd8253",
        subdir="", unpack=False),
    "lyricsfreak": Source(
        "", "songdata.csv", "d8451474686e07aedc207a6f2a0643b795eaa056cddc8c4f344d3dfd1900132b"),
}


def sha256_file(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def download(url: str, dest, sha256: str | None = None, progress: bool = True, timeout: float = 60) -> Path:
    """Download ``url`` to ``dest`` atomically; verify ``sha256`` when given."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                resp = urllib.request.urlopen(url, timeout=timeout)
            except (urllib.error.URLError, OSError) as exc:
                raise InputError(f"cannot download {url}: {getattr(exc, 'reason', exc)}",
                                 expected="a reachable URL (use --url for a mirror)") from None
            with resp:
                total = int(resp.headers.get("Content-Length") or 0) or None
                with tqdm(total=total, unit="B", unit_scale=True, desc=dest.name, disable=not progress) as bar:
                    for block in iter(lambda: resp.read(1 << 16), b""):
                        out.write(block)
                        bar.update(len(block))
        if sha256:
            got = sha256_file(tmp)
            if got != sha256.lower():
                raise InputError(f"sha256 mismatch for {url}: got {got}", path=dest, expected=sha256)
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return dest


def fetch_dataset(name: str, to, url: str | None = None, sha256: str | None = None,
                  progress: bool = True) -> Path:
    """Fetch corpus ``name`` into ``to/name/``; returns that folder. Already-present,
    verified files are not downloaded again."""
    if name not in SOURCES:
        raise InputError(f"unknown dataset {name!r}", expected=" | ".join(SOURCES))
    src = SOURCES[name]
    target = Path(to) / (name if src.subdir is None else src.subdir)
    if url is None and not src.url:
        raise InputError(f"{name}: no public download of this copy", expected="--url of a mirror (its sha256 is "
                         f"checked: {src.sha256[:12]}…), or data.path pointing at your own copy")
    if url is None:
        url, sha256 = src.url, sha256 or src.sha256
        members = src.members
    else:
        members = {}
    if src.filename.endswith(".zip") and src.unpack:
        if members and target.is_dir() and all(
                (target / m).is_file() and sha256_file(target / m) == h for m, h in members.items()):
            return target
        Path(to).mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=to) as tmpd:
            archive = download(url, Path(tmpd) / src.filename, sha256, progress)
            unpacked = Path(tmpd) / "unpacked"
            try:
                with zipfile.ZipFile(archive) as zf:
                    zf.extractall(unpacked)
            except zipfile.BadZipFile:
                raise InputError("download is not a zip archive", path=url, expected="a .zip") from None
            files = {p.name: p for p in unpacked.rglob("*") if p.is_file()}
            for m, h in members.items():
                if m not in files:
                    raise InputError(f"archive lacks {m}", path=url, expected="NLTK's gutenberg.zip")
                if sha256_file(files[m]) != h:
                    raise InputError(f"sha256 mismatch for {m}", path=url, expected=h)
            stage = Path(tmpd) / "stage"
            stage.mkdir()
            for fname, p in files.items():
                shutil.move(str(p), stage / fname)
            if target.exists():
                shutil.rmtree(target)
            os.replace(stage, target)
        return target
    if url != src.url and not src.url:  # a mirror of a known file: its name and checksum are ours
        dest, sha256 = target / src.filename, sha256 or src.sha256
    else:
        dest = target / (src.filename if url == src.url else Path(url.split("?")[0]).name or src.filename)
    if dest.is_file() and sha256 and sha256_file(dest) == sha256:
        return target
    download(url, dest, sha256, progress)
    return target
