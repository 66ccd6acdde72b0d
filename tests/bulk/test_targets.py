from forums.bulk.targets import parse_targets


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
