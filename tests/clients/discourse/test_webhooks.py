"""The Discourse client sets a webhook up on the sandbox Discourse (Admin › API › Webhooks)."""

from __future__ import annotations

import pytest

from forums.clients.errors import ForumRejected

from .helpers import SANDBOX_CONFIG  # noqa: F401 - the config of this module's sandbox

URL = "https://forumdeck.example/forums/index/webhook/7/"


def test_webhook_create_makes_one_active_signed_hook_and_reuses_it(client, sandbox):
    first = client.webhook_create(url=URL, secret="first-secret-of-32-characters-xx")
    (hook,) = sandbox.web_hooks.values()
    assert str(hook["id"]) == first and hook["active"] and hook["content_type"] == 1
    assert hook["secret"] == "first-secret-of-32-characters-xx"
    assert {304, 305, 306, 307, 308, 309, 401, 402, 403, 601, 602, 603} == hook["event_type_ids"]
    second = client.webhook_create(url=URL, secret="second-secret-of-32-characters-x")
    assert second == first and len(sandbox.web_hooks) == 1
    assert hook["secret"] == "second-secret-of-32-characters-x"


def test_an_internal_address_is_refused_in_the_forums_words(client, sandbox):
    with pytest.raises(ForumRejected) as refused:
        client.webhook_create(url="http://10.0.0.5/hook", secret="x" * 32)
    assert "internal IP address" in str(refused.value)
    assert sandbox.web_hooks == {}
