"""``receiver``: a loopback endpoint that keeps the webhooks a sandbox forum sends it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .receiver import Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver()
    yield made
    made.server.shutdown()
