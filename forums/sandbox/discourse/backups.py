"""The sandbox Discourse: backups.

Part of ``DiscourseSandbox`` (``app.py``), whose routes name these methods."""

from __future__ import annotations

from datetime import UTC, datetime

from werkzeug.wrappers import Request, Response

from ..core import json_response
from .common import (
    error,
    iso,
    params_of,
)


class DiscourseBackups:
    """A part of the app (mixed in): state, lock and config are the app's."""

    def _settle_backup(self) -> None:
        if self.backup_pending and datetime.now(UTC).timestamp() >= self.backup_running_until:
            if not self.backup_fails:
                self.backups.append(self.backup_pending)
            self.backup_pending = None

    def backups_list(self, request: Request) -> Response:
        with self.lock:
            self._settle_backup()
            rows = sorted(self.backups, key=lambda b: b["last_modified"], reverse=True)
            return json_response(
                [{"filename": b["filename"], "size": b["size"],
                  "last_modified": iso(b["last_modified"])} for b in rows]
            )  # fmt: skip

    def backup_create(self, request: Request) -> Response:
        p = params_of(request)
        if "with_uploads" not in p:
            return error(400, "param is missing or the value is empty: with_uploads")
        # BackupsController#create: params.fetch(:with_uploads) == "true" (a JSON true is not).
        with_uploads = p["with_uploads"] == "true"
        with self.lock:
            self._settle_backup()
            now = datetime.now(UTC)
            if self.backup_pending:
                # ENDPOINTS.md "Rules" / backups: already running is 200 {failed, message}
                return json_response(
                    {"failed": "FAILED",
                     "message": "A backup or restore operation is already running."}
                )  # fmt: skip
            ext = "tar.gz" if with_uploads else "sql.gz"
            self.backup_pending = {
                "filename": f"sandbox-forum-{now:%Y-%m-%d-%H%M%S}-v20260101000000.{ext}",
                "size": 52_000_000 if with_uploads else 9_500_000,
                "last_modified": now,
            }
            self.backup_running_until = now.timestamp() + self.backup_seconds
            return json_response({"success": "OK"})

    def backups_status(self, request: Request) -> Response:
        with self.lock:
            self._settle_backup()
            running = self.backup_pending is not None
            return json_response(
                {"is_operation_running": running, "can_rollback": False, "allow_restore": False}
            )

    def backup_cancel(self, request: Request) -> Response:
        """ENDPOINTS.md Backups: `DELETE /admin/backups/cancel.json` cancels a running backup."""
        with self.lock:
            self.backup_pending = None
            self.backup_running_until = 0.0
            return json_response({"success": "OK"})

    def backup_send_link(self, request: Request, filename: str) -> Response:
        with self.lock:
            self._settle_backup()
            found = any(b["filename"] == filename for b in self.backups)
        # ENDPOINTS.md "Rules" / backups: PUT /admin/backups/{filename} answers 200 or 404 with
        # an empty body (render body: nil)
        return Response(b"", status=200 if found else 404, content_type="text/html; charset=utf-8")
