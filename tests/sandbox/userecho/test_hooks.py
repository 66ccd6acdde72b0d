"""The sandbox UserEcho: files and webhooks."""

from __future__ import annotations

from .commands import (
    SANDBOX_CONFIG,  # noqa: F401 - the config of this module's sandbox
    call,
    data,
    error,
)


# --- files and webhooks ---------------------------------------------------------------------
def test_uploads(sandbox):
    """X1/X2 [D] P-UPLOAD: multipart `content`; images only for image; not on a trial plan."""
    image = data(
        call(
            sandbox,
            "POST",
            "forums/1/upload/image.json",
            files={"content": ("shot.png", b"\x89PNG....", "image/png")},
        )
    )
    assert image["type"] == "image" and image["url"].startswith("/s/attachments/")
    assert image["forum"] == {"id": 1, "name": "Ideas & Feedback"}
    assert (
        data(
            call(
                sandbox,
                "POST",
                "forums/1/upload/file.json",
                files={"content": ("log.txt", b"log", "text/plain")},
            )
        )["type"]
        == "file"
    )
    assert error(
        call(
            sandbox,
            "POST",
            "forums/1/upload/image.json",
            files={"content": ("log.txt", b"log", "text/plain")},
        ),
        400,
    )
    assert error(call(sandbox, "POST", "forums/1/upload/file.json"), 400)
    sandbox.app.configure(trial_plan=True)
    assert "trial period" in error(
        call(sandbox, "POST", "forums/1/upload/file.json", files={"content": ("a", b"a")}), 403
    )


def test_webhooks(sandbox):
    """H1-H4 [D] P-HOOK-C: event + target_url; the hook flags its events."""
    events = data(call(sandbox, "GET", "hooks/events.json"))
    assert "topic.created" in events and "comment.deleted" in events
    hook = data(
        call(
            sandbox,
            "POST",
            "hooks.json",
            json={"event": "comment.created", "target_url": "https://x.example/h"},
        )
    )
    assert hook["events"]["comment.created"] is True and hook["events"]["topic.created"] is False
    assert len(data(call(sandbox, "GET", "hooks.json"))) == 2
    assert error(
        call(
            sandbox,
            "POST",
            "hooks.json",
            json={"event": "topic.exploded", "target_url": "https://x"},
        ),
        400,
    )
    assert data(call(sandbox, "DELETE", f"hooks/{hook['id']}.json")) is True
    assert error(call(sandbox, "DELETE", f"hooks/{hook['id']}.json"), 404)
