"""The sandbox Discourse answers as the real server does where the official spec says nothing
or says otherwise (ENDPOINTS.md "Rules": create tags, answers S leaves out)."""

from __future__ import annotations

from .served import SANDBOX_CONFIG, get, send  # noqa: F401 - the config of this module's sandbox


def _upload(sb, *lines: str):
    body = "\n".join(lines).encode()
    return send(sb, "POST", "/tags/upload.json", files={"file": ("tags.csv", body, "text/csv")})


def test_an_uploaded_tag_name_is_cleaned_as_discourse_cleans_it(sandbox):
    """Row "create tags": `#upload` cleans each name (DiscourseTagging.clean_tag): punctuation
    of TAGS_FILTER_REGEXP dropped, spaces to dashes, lower case, cut to 20 characters; the answer
    is success either way, so only the list says what was stored."""
    r = _upload(sandbox, "a.b!c", "Release Notes", "abcdefghijklmnopqrstuvwxyz,Some group")
    assert r.status_code == 200 and r.json() == {"success": "OK"}
    names = {t["name"] for t in get(sandbox, "/tags.json").json()["tags"]}
    assert {"abc", "release-notes", "abcdefghijklmnopqrst"} <= names
    assert not names & {"a.b!c", "Release Notes", "release notes"}


def test_an_uploaded_tag_that_exists_is_reused(sandbox):
    """Row "create tags": an existing tag is reused, and the answer is success all the same."""
    before = get(sandbox, "/tags.json").json()["tags"]
    existing = before[0]["name"]
    assert _upload(sandbox, existing.upper()).status_code == 200
    after = get(sandbox, "/tags.json").json()["tags"]
    assert len(after) == len(before)


def test_answers_the_spec_leaves_out(sandbox):
    """Row "answers S leaves out": an empty user list is `[]` (S says minItems 1); an unknown
    username or group name is 404 (S lists only 200); a tag group name already taken is 422."""
    assert (
        get(sandbox, "/admin/users/list/active.json", params={"filter": "nobody-zzz"}).json() == []
    )
    assert get(sandbox, "/u/nobody-zzz.json").status_code == 404
    assert get(sandbox, "/groups/nobody-zzz.json").status_code == 404
    groups = get(sandbox, "/tag_groups.json").json()["tag_groups"]
    taken = send(sandbox, "POST", "/tag_groups.json", json={"name": groups[0]["name"]})
    assert taken.status_code == 422
