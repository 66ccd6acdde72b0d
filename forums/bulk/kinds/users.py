"""Delete many accounts with their posts."""

from __future__ import annotations

from django import forms

from forums.clients.records import Capability

from .base import Applied, Kind


class DeleteUsersForm(forms.Form):
    block_ip_and_email = forms.BooleanField(
        required=False,
        label="Block their IP and e-mail (where the forum offers it)",
        help_text="A bulk delete always deletes the users' posts too.",
    )


class DeleteUsersKind(Kind):
    key = "delete_users"
    label = "Delete users and their posts"
    done_label = "deleted"
    capabilities = (Capability.USER_BULK_DELETE,)
    destructive = True
    form_class = DeleteUsersForm

    def describe(self, params):
        extra = ", blocking IP and e-mail" if params.get("block_ip_and_email") else ""
        return f"Delete users and their posts{extra}"

    # An administrator, on a forum that refuses to delete one, is left out while planning: the
    # approver sees it will not change. No other guess (long-time posters): the forum decides,
    # the client splits a refused batch, and each refusal is reported with the forum's reason,
    # as a failure the audit log records.
    def prepare(self, client, params, frozen=None):
        return {"admins_refused": client.refuses_deleting_admins}

    def reason_not_needed(self, user, ctx, params):
        if user.admin and ctx.get("admins_refused"):
            return "the forum will refuse: administrator"
        return ""

    def index_fields(self, params):
        return None  # deleted: gone from the index too

    def shows_applied(self, reason):
        # A delete sent earlier whose answer was lost: the account being gone is the change.
        return reason.startswith("no longer exists")

    def batch_size(self, client):
        return client.delete_batch_size

    def apply(self, client, ctx, params, targets):
        result = client.delete_users(
            user_ids=[t.forum_id for t in targets],
            block_ip_and_email=bool(params.get("block_ip_and_email")),
        )
        refused = {int(k): v for k, v in (result.refused or {}).items()}
        missing = {int(i) for i in result.missing}
        return Applied(
            skipped={
                t.item_id: f"no longer exists on {client.name}"
                for t in targets
                if t.forum_id in missing
            },
            failed={t.item_id: refused[t.forum_id] for t in targets if t.forum_id in refused},
        )
