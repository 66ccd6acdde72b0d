from django.contrib import admin

from .models import AuditEntry, ForumConnection


@admin.register(ForumConnection)
class ForumConnectionAdmin(admin.ModelAdmin):
    """Read-only here: connections are managed on Forumdeck's own pages, which audit changes."""

    list_display = ("name", "platform", "base_url", "api_key_last4", "enabled")
    exclude = ("api_key", "settings")  # settings hold secrets: edited on Forumdeck's page
    readonly_fields = (
        "name",
        "platform",
        "base_url",
        "api_username",
        "api_key_last4",
        "requests_per_minute",
        "rate_window_seconds",
        "enabled",
    )

    def get_queryset(self, request):
        return super().get_queryset(request).defer("api_key")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("created_at", "actor_name", "connection_name", "action", "target", "outcome")
    list_filter = ("action", "outcome")
    search_fields = ("actor_name", "connection_name", "target", "message")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
