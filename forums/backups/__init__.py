"""Backups across forums: freshness of the fleet, backing up now with live progress,
schedules run by Celery beat (django-celery-beat), download links by e-mail."""
