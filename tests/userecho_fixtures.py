"""The tokens the sandbox UserEcho of the tests accepts (its fixtures are those of every
platform: ``userecho_sandbox``, ``userecho_client``, ``userecho_connection``, from
``tests/sandbox_fixtures.py``)."""

from __future__ import annotations

from forums.sandbox.registry import SANDBOXES

_USERECHO = SANDBOXES["userecho"]
USERECHO_TOKEN = _USERECHO.test_key
# The owner's read-only token, and a support agent's (read and write, not "all").
READ_TOKEN, AGENT_TOKEN = _USERECHO.test_config["extra_tokens"]
OWNER = _USERECHO.test_config["extra_tokens"][READ_TOKEN]["user_id"]  # the token's own user
