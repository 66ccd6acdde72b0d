from django.contrib import admin
from django.contrib.auth.models import Group, User

# Accounts and roles are managed in Forumdeck's People & roles pages (forums.accounts), which
# record and audit every change and keep four eyes: the admin site's user and group pages
# would let one Admin make a second account an Approver, or a superuser, unrecorded.
admin.site.unregister(User)
admin.site.unregister(Group)

admin.site.site_header = "Forumdeck: records and sign-in lockouts"
admin.site.site_title = "Forumdeck"
admin.site.index_title = (
    "Accounts and roles are managed in People & roles, on Forumdeck's own pages"
)
admin.site.site_url = "/"
