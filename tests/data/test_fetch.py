import functools
import hashlib
import http.server
import threading
import zipfile

import pytest

from neuronstats.data import fetch
from neuronstats.errors import InputError


@pytest.fixture
def server(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield root, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_fetch_lyrics_verifies_sha256_and_writes_atomically(server, tmp_path):
    root, base = server
    body = b'artist,song,link,text\nA,S,/l,"one line here\ntwo line here"\n'
    (root / "songdata.csv").write_bytes(body)
    good = hashlib.sha256(body).hexdigest()
    out = tmp_path / "data"
    path = fetch.fetch_dataset("lyrics", out, url=f"{base}/songdata.csv", sha256=good, progress=False)
    assert (path / "songdata.csv").read_bytes() == body
    bad_out = tmp_path / "bad"
    with pytest.raises(InputError, match="sha256 mismatch"):
        fetch.fetch_dataset("lyrics", bad_out, url=f"{base}/songdata.csv", sha256="0" * 64, progress=False)
    assert not any(p.is_file() for p in bad_out.rglob("*"))  # nothing half-written
    with pytest.raises(InputError, match="cannot download"):
        fetch.fetch_dataset("lyrics", bad_out, url=f"{base}/missing.csv", progress=False)


def test_fetch_gutenberg_zip_checks_member_checksums(server, tmp_path, monkeypatch):
    root, base = server
    with zipfile.ZipFile(root / "gutenberg.zip", "w") as zf:
        zf.writestr("gutenberg/book-a.txt", "line one\nline two\n")
        zf.writestr("gutenberg/README", "about")
    members = {"book-a.txt": hashlib.sha256(b"line one\nline two\n").hexdigest()}
    src = fetch.Source(f"{base}/gutenberg.zip", "gutenberg.zip", None, members)
    monkeypatch.setitem(fetch.SOURCES, "gutenberg", src)
    path = fetch.fetch_dataset("gutenberg", tmp_path / "d", progress=False)
    assert (path / "book-a.txt").read_text() == "line one\nline two\n"
    # a second call finds verified files and does not download again
    (root / "gutenberg.zip").unlink()
    assert fetch.fetch_dataset("gutenberg", tmp_path / "d", progress=False) == path
    # a corrupted member is refused and the existing folder is left alone
    with zipfile.ZipFile(root / "gutenberg.zip", "w") as zf:
        zf.writestr("gutenberg/book-a.txt", "tampered\n")
    monkeypatch.setitem(fetch.SOURCES, "gutenberg", src)
    with pytest.raises(InputError, match="sha256 mismatch for book-a.txt"):
        fetch.fetch_dataset("gutenberg", tmp_path / "e", progress=False)
    assert not (tmp_path / "e" / "gutenberg").exists()


def test_fetch_a_mirror_of_the_lahiri_zip_keeps_the_archive_and_checks_it(server, tmp_path, monkeypatch):
    root, base = server
    with zipfile.ZipFile(root / "mirror.zip", "w") as zf:
        zf.writestr("gutenberg-lahiri/A___B.txt", "a line of text here\n")
    digest = hashlib.sha256((root / "mirror.zip").read_bytes()).hexdigest()
    monkeypatch.setitem(fetch.SOURCES, "gutenberg-lahiri", fetch.Source("", "gutenberg-lahiri.zip", digest,
                                                                        subdir="", unpack=False))
    with pytest.raises(InputError, match="no public download"):
        fetch.fetch_dataset("gutenberg-lahiri", tmp_path, progress=False)
    path = fetch.fetch_dataset("gutenberg-lahiri", tmp_path, url=f"{base}/mirror.zip", progress=False)
    assert path == tmp_path and zipfile.is_zipfile(tmp_path / "gutenberg-lahiri.zip")  # read in place, not unpacked
    (root / "other.zip").write_bytes(b"not the same file")
    with pytest.raises(InputError, match="sha256 mismatch"):
        fetch.fetch_dataset("gutenberg-lahiri", tmp_path / "x", url=f"{base}/other.zip", progress=False)
