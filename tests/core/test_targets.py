from __future__ import annotations

import io

from forums.core.targets import (
    TargetParser,
    decoded_pieces,
    detect_encoding,
    iter_lines,
    parse_targets,
    text_pieces,
)


def test_paste_one_per_line_or_comma_separated():
    parsed = parse_targets("alice\nbob, carol@Example.com ;42\n\n@dave\n")
    assert [(t.line, t.value, t.kind) for t in parsed.targets] == [
        (1, "alice", "username"),
        (2, "bob", "username"),
        (2, "carol@example.com", "email"),
        (2, "42", "id"),
        (4, "dave", "username"),
    ]
    assert parsed.junk == [] and parsed.duplicates == []


def test_junk_lines_are_reported_with_their_line_numbers():
    parsed = parse_targets("alice\nnot an email@\nbob smith\n<script>\nalice")
    assert [(r.line, r.reason) for r in parsed.junk] == [
        (2, "not a valid e-mail address"),
        (3, "usernames have no spaces (separate targets with commas or new lines)"),
        (4, "not a username, e-mail address or numeric id"),
    ]
    assert [(d.line, d.reason) for d in parsed.duplicates] == [(5, "already given on line 1")]
    assert parsed.values == ["alice"]


def test_csv_with_a_header_uses_the_named_column():
    data = "id,username,email\n1,alice,a@example.com\n2,,b@example.com\n3,bob,\n,,\n,x y,\n"
    parsed = parse_targets(csv_data=data)
    # A row without a username falls back to its e-mail, then its id.
    assert parsed.values == ["alice", "b@example.com", "bob"]
    assert [(r.line, r.text) for r in parsed.junk] == [(6, "x y")]


def test_csv_without_a_header_uses_the_first_column():
    parsed = parse_targets(csv_data="alice,Alice A\nbob@example.com,Bob\n")
    assert parsed.values == ["alice", "bob@example.com"]


def test_the_limit_is_reported_not_silently_applied():
    parsed = parse_targets("\n".join(f"user{i}" for i in range(12)), limit=10)
    assert len(parsed.targets) == 10 and parsed.too_many
    assert [r.line for r in parsed.junk] == [11, 12]


def test_an_unclosed_quote_is_one_junk_line_and_the_next_lines_are_read():
    data = 'username\nalice\n"bob,Bob B\ncarol\ndave\n'
    parsed = parse_targets(csv_data=data)
    assert parsed.values == ["alice", "carol", "dave"]
    assert [(r.line, r.reason) for r in parsed.junk] == [
        (3, "a quote is not closed, or is not where CSV allows one")
    ]


def test_a_field_larger_than_the_csv_modules_limit_is_a_junk_line_not_an_error():
    huge = "x" * (200 * 1024)  # csv's own field limit is 128 KB
    parsed = parse_targets(csv_data=f"alice\n{huge}\nbob\n")
    assert parsed.values == ["alice", "bob"]
    (junk,) = parsed.junk
    assert junk.line == 2 and "longer than 4096 characters" in junk.reason
    assert len(junk.text) <= 200


def test_a_huge_pasted_line_is_reported_too():
    parsed = parse_targets("alice\n" + "y" * 10_000 + "\nbob")
    assert parsed.values == ["alice", "bob"] and parsed.junk[0].line == 2


def test_lines_are_found_across_pieces_whatever_the_line_breaks():
    pieces = ["alice\r", "\nbob\rca", "rol\n", "\n", "dave"]
    lines = list(iter_lines(pieces))
    assert [(x.number, x.text) for x in lines] == [
        (1, "alice"), (2, "bob"), (3, "carol"), (4, ""), (5, "dave"),
    ]  # fmt: skip


def test_a_long_line_split_over_pieces_keeps_only_its_start():
    lines = list(iter_lines(["ab", "cdef", "gh\nok"], max_chars=3))
    assert [(x.text, x.too_long) for x in lines] == [("abc", True), ("ok", False)]


def test_the_parser_counts_everything_but_keeps_only_a_few_examples():
    parser = TargetParser(limit=3, keep=2)
    text = "\n".join(["a1", "a2", "a1", "a1", "bad one", "bad two", "bad three", "a3", "a4"])
    found = [t.value for t in parser.targets(text_pieces(text, size=4))]
    assert found == ["a1", "a2", "a3"]
    assert parser.duplicate_count == 2 and len(parser.duplicates) == 2
    assert parser.junk_count == 4 and len(parser.junk) == 2  # three bad, one over the limit
    assert parser.too_many


def test_a_file_is_decoded_in_pieces_even_when_a_character_spans_two():
    data = "username\nrenée\nzoë\n".encode()
    file = io.BytesIO(data)
    assert detect_encoding(file) == "utf-8-sig"
    text = "".join(decoded_pieces(file, "utf-8-sig", size=11))  # splits é and ë in two
    assert text == "username\nrenée\nzoë\n"


def test_a_windows_file_is_read_as_cp1252_and_a_binary_one_is_refused():
    assert detect_encoding(io.BytesIO("username\nJosé\n".encode("cp1252"))) == "cp1252"
    assert detect_encoding(io.BytesIO(b"\x81\x8d\x8f\x90\x9d")) is None
