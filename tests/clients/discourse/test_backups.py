"""The Discourse client against the sandbox Discourse: backups."""

from __future__ import annotations

import pytest

from forums.clients.discourse import (
    DiscourseOperationRunning,
)
from forums.clients.errors import (
    ForumNotFound,
)

from .helpers import (
    SANDBOX_CONFIG,  # noqa: F401 - the config of this module's sandbox
)

pytestmark = pytest.mark.every_release  # each verb against each release the sandbox plays


# --- backups ------------------------------------------------------------------------------------
def test_backups_list_create_status_and_already_running(client, sandbox):
    before = client.list_backups()
    assert len(before) == 2 and all(b.size > 0 and b.last_modified for b in before)
    client.create_backup(with_uploads=True)
    assert client.backup_status().is_running
    with pytest.raises(DiscourseOperationRunning) as running:
        client.create_backup()
    assert "already running" in str(running.value)
    assert sandbox.calls.records()[-1].status == 200  # Discourse says it with a 200
    sandbox.backup_running_until = 0  # the backup finishes
    assert not client.backup_status().is_running
    after = client.list_backups()
    assert len(after) == 3 and after[0].filename.endswith(".tar.gz")
    client.send_backup_download_link(filename=after[0].filename)
    with pytest.raises(ForumNotFound):
        client.send_backup_download_link(filename="nope.tar.gz")
