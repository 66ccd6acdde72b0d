"""What the review tests share: a flagged post on the sandbox Discourse."""

from __future__ import annotations


def a_flag(app, raw="Rude <script>alert(1)</script> words", score=99.0):
    author = next(
        u
        for u in sorted(app.users.values(), key=lambda u: u["id"])
        if u["id"] > 0 and not u["admin"] and not u["moderator"] and u["approved"]
    )
    flagger = next(u for u in app.users.values() if u["id"] > author["id"]
                   and not u["admin"] and not u["moderator"])  # fmt: skip
    with app.lock:
        row = app.add_flagged_post(author["id"], topic_id=5, raw=raw, flags=[(flagger["id"], 4)])
        row["score"] = score
    return row, author, flagger
