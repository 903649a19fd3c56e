import warnings

import pytest

from neuronstats.data import corpora
from neuronstats.errors import InputError


def test_gutenberg_dir_strips_boilerplate_and_decodes_any_encoding(tmp_path):
    (tmp_path / "Jane_Austen___Emma.txt").write_text(
        "header junk\n*** START OF THIS PROJECT GUTENBERG EBOOK EMMA ***\nfirst line\nsecond line\n"
        "*** END OF THIS PROJECT GUTENBERG EBOOK EMMA ***\nlicense\n")
    (tmp_path / "odd.txt").write_bytes("caf\xe9 au lait\nna\xefve\n".encode("latin-1"))
    (tmp_path / "README").write_text("not a book")
    docs = corpora.read_gutenberg_dir(tmp_path)
    by_id = {d.doc_id: d for d in docs}
    assert by_id["Jane_Austen/Emma"].lines == ("first line", "second line")
    assert by_id["odd"].lines[0] == "caf\xe9 au lait"
    chunks = corpora.read_gutenberg_dir(tmp_path, chunk_lines=1)
    assert [d.doc_id for d in chunks][:2] == ["Jane_Austen/Emma#0", "Jane_Austen/Emma#1"]


def test_gutenberg_missing_or_empty_folder_is_one_clear_error(tmp_path):
    with pytest.raises(InputError, match="not found"):
        corpora.read_gutenberg_dir(tmp_path / "nope")
    with pytest.raises(InputError, match=r"no \.txt books"):
        corpora.read_gutenberg_dir(tmp_path)


def test_lyrics_csv_truncated_last_field_loads_with_warning(tmp_path):
    f = tmp_path / "songs.csv"
    f.write_text('artist,song,link,text\nA,S1,/x,"la la  \nline two  \n\nline three"\n'
                 'A,S1 again,/y,"la la  \nline two  \n\nline three"\nB,S2,/z,"cut off here\nand more')
    with pytest.warns(UserWarning, match="cut off"):
        docs = corpora.read_lyrics_csv(f)
    assert len(docs) == 2  # the repeated song is dropped
    assert docs[0].lines == ("la la", "line two", "", "line three")
    assert docs[1].lines == ("cut off here", "and more")


def test_lyrics_without_text_column_names_file_and_line(tmp_path):
    f = tmp_path / "bad.csv"
    f.write_text("artist,lyrics\nA,hello\n")
    with pytest.raises(InputError) as exc:
        corpora.read_lyrics_csv(f)
    assert "bad.csv, line 1" in str(exc.value) and "'text'" in str(exc.value)
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(InputError, match="empty"):
        corpora.read_lyrics_csv(tmp_path / "empty.csv")


def test_synthetic_corpus_is_seeded_and_respects_lengths():
    a = corpora.synthetic_corpus(5, 4, vocab=20, min_len=3, max_len=6, seed=1)
    b = corpora.synthetic_corpus(5, 4, vocab=20, min_len=3, max_len=6, seed=1)
    c = corpora.synthetic_corpus(5, 4, vocab=20, min_len=3, max_len=6, seed=2)
    assert a == b and a != c
    assert all(3 <= len(line.split()) <= 6 for d in a for line in d.lines)


def test_real_corpora_load(shared_data):
    books = corpora.read_gutenberg_dir(shared_data / "gutenberg")
    assert len(books) == 13
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        songs = corpora.read_lyrics_csv(shared_data / "lyrics")
    assert any("cut off" in str(x.message) for x in w)  # sample-a ends inside a quoted field
    assert 900 < len(songs) < 1000  # 874 + 83 distinct songs, minus overlaps/empties


def test_encodings_are_detected_honestly(tmp_path):
    (tmp_path / "u16.txt").write_bytes("first line\nsecond line\n".encode("utf-16"))
    (tmp_path / "u16le.txt").write_bytes("first line\nsecond line\n".encode("utf-16-le"))
    assert [d.lines for d in corpora.read_text_file(tmp_path / "u16.txt")] == [("first line", "second line")]
    assert [d.lines for d in corpora.read_text_file(tmp_path / "u16le.txt")] == [("first line", "second line")]
    (tmp_path / "bin.txt").write_bytes(bytes(range(256)) * 20)
    with pytest.raises(InputError, match="bin.txt: a binary file"):
        corpora.read_text_file(tmp_path / "bin.txt")
    (tmp_path / "nul.txt").write_bytes(b"good line\nbad\x00 line\n")
    with pytest.warns(UserWarning, match="nul.txt: 1 NUL"):
        docs = corpora.read_text_file(tmp_path / "nul.txt")
    assert docs[0].lines == ("good line", "bad line")
    (tmp_path / "one.txt").write_bytes("caf\xc3\xa9 ok\nprice \xa35\n".encode("latin-1"))  # utf-8 é, then a latin-1 £
    with pytest.warns(UserWarning, match=r"one.txt: 1 byte\(s\) that are not UTF-8 .*line\(s\) 2"):
        docs = corpora.read_text_file(tmp_path / "one.txt")
    assert docs[0].lines == ("café ok", "price £5")  # the rest of the file stays UTF-8


def test_plain_text_splits_into_documents_and_drops_attributions(tmp_path):
    from neuronstats.config import DataConfig
    from neuronstats.data.examples import collect_pairs, load_documents

    poem = "roses are red today\nviolets are blue today\n-- An Author\n\n"
    (tmp_path / "poems.txt").write_text(poem * 6)
    docs = corpora.read_text_file(tmp_path / "poems.txt")
    assert len(docs) == 6 and docs[1].doc_id == "poems#1"
    cfg = DataConfig(source="text", path="poems.txt", min_len=2, max_len=8, drop_lines="^--")
    lp = collect_pairs(load_documents(cfg, tmp_path), 2, 8, cfg.drop_lines)
    assert len(lp.src) == 1  # one distinct pair; the attribution line is never a target
    assert all(w != "author" for w in (lp.words[i] for i in lp.flat))


def test_gutenberg_zip_is_read_in_place(tmp_path):
    import zipfile

    with zipfile.ZipFile(tmp_path / "books.zip", "w") as zf:
        zf.writestr("books/A___One.txt", "first line here\nsecond line here\n")
        zf.writestr("books/B___Two.txt", "third line here\n")
    docs = corpora.read_gutenberg_dir(tmp_path / "books.zip")
    assert [d.doc_id for d in docs] == ["A/One", "B/Two"] and docs[0].lines[1] == "second line here"
