"""What every client's webhook reading shares: a header by any case, an HMAC signature of the
body ("<algorithm>=<hex>", as Discourse and nodebb-plugin-webhooks sign), and a body that must be
one JSON object."""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping
from typing import Any


def header(headers: Mapping[str, str], name: str) -> str:
    """The header ``name`` whatever its case, or ""."""
    wanted = name.lower()
    return next((str(v) for k, v in headers.items() if k.lower() == wanted), "")


def signed_with(
    headers: Mapping[str, str], name: str, *, body: bytes, secret: str, algorithm: str
) -> bool:
    """Does header ``name`` hold ``<algorithm>=`` and the body's HMAC with ``secret``? Never
    with an empty secret."""
    if not secret:
        return False
    expected = f"{algorithm}=" + hmac.new(secret.encode(), body, algorithm).hexdigest()
    return hmac.compare_digest(expected, header(headers, name))


def json_object(body: bytes) -> dict[str, Any]:
    """The delivery's body as a JSON object (an empty body is {}); ValueError otherwise."""
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        raise ValueError("The delivery's body is not JSON.") from None
    if not isinstance(data, dict):
        raise ValueError("The delivery's body is not a JSON object.")
    return data
