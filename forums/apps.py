from django.apps import AppConfig


class ForumsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "forums"
    verbose_name = "Forums"
