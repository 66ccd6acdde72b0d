"""Discourse backups (admin only, and only where ``enable_backups`` is on)."""

from __future__ import annotations

from typing import Any

from ..errors import BackupsDisabled, ForumBadResponse, ForumError, ForumForbidden, ForumNotFound
from ..records import Backup, BackupStatus
from .base import DiscourseBase, DiscourseOperationRunning, dt, to_int

BACKUPS_DISABLED = (
    "Backups are turned off on this forum (its site setting enable_backups). "
    "An admin turns them on in Discourse: Admin → Settings → Backups."
)


def includes_uploads(filename: str) -> bool | None:
    """Discourse names a backup with uploads ``….tar.gz`` (the dump and the uploads in one
    archive) and one without ``….sql.gz`` (the dump alone); anything else does not say."""
    name = filename.lower()
    if name.endswith((".tar.gz", ".tgz", ".tar")):
        return True
    if name.endswith((".sql.gz", ".sql")):
        return False
    return None


class DiscourseBackups(DiscourseBase):
    def _backups(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            return self._json(method, path, **kwargs)
        except ForumForbidden as exc:
            # ENDPOINTS.md "Rules" / backups: `enable_backups` off is 403 (a bad key on an
            # /admin route is 404, so a 403 here is the setting).
            raise BackupsDisabled(BACKUPS_DISABLED, status=exc.status) from None

    def list_backups(self) -> list[Backup]:
        payload = self._backups("GET", "/admin/backups.json")
        if not isinstance(payload, list):
            raise ForumBadResponse("Discourse's backup list was not a list.")
        return [
            Backup(
                filename=str(b.get("filename") or ""),
                size=to_int(b.get("size")) or 0,
                last_modified=dt(b.get("last_modified")),
                with_uploads=includes_uploads(str(b.get("filename") or "")),
            )
            for b in payload
            if isinstance(b, dict)
        ]

    def create_backup(self, *, with_uploads: bool = False) -> None:
        """Start a backup. Discourse says "already running" with HTTP 200, so that becomes
        ``DiscourseOperationRunning``."""
        # The controller compares params[:with_uploads] == "true": send the string.
        body = {"with_uploads": "true" if with_uploads else "false"}
        payload = self._backups("POST", "/admin/backups.json", json_body=body)
        if isinstance(payload, dict) and payload.get("failed"):
            raise DiscourseOperationRunning(
                "Discourse did not start the backup: "
                + str(payload.get("message") or "another backup or restore is running."),
                status=200,
            )

    def backup_status(self) -> BackupStatus:
        payload = self._dict(self._backups("GET", "/admin/backups/status.json"), "a backup status")
        return BackupStatus(
            is_running=bool(payload.get("is_operation_running")),
            can_rollback=bool(payload.get("can_rollback")),
            allow_restore=bool(payload.get("allow_restore")),
        )

    def cancel_backup(self) -> None:
        self._backups("DELETE", "/admin/backups/cancel.json")

    def send_backup_download_link(self, *, filename: str) -> None:
        """Discourse e-mails the acting admin a download link (there is no token-less download).

        ENDPOINTS.md "Rules" / backups: a 404 here means the file does not exist
        (``app/controllers/admin/backups_controller.rb`` ``#email``: ``BackupRestore::
        BackupStore#file`` finds none), but a moderator's key gets 404 on this admin-only route
        too. The backup list tells them apart: an administrator's key can read it, and a file
        missing from it is said to be missing, not a permissions problem."""
        try:
            self._backups("PUT", f"/admin/backups/{self._seg(filename)}")
        except ForumNotFound as refused:
            try:
                listed = {b.filename for b in self.list_backups()}
            except ForumError:
                raise refused from None
            if filename in listed:
                raise
            raise ForumNotFound(
                f"The backup “{filename}” is not on the forum: it was deleted (or replaced by a "
                "newer one) since the list was read. Reload the backup list.",
                status=404,
            ) from None
