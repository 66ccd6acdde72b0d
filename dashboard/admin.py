from django.contrib import admin

admin.site.site_header = "Forumdeck: people and roles"
admin.site.site_title = "Forumdeck"
admin.site.index_title = (
    "Assign roles by adding people to the Viewer, Moderator, Approver or Admin group"
)
admin.site.site_url = "/"
