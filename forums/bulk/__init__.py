"""Bulk actions: propose, plan, approve (four eyes), run paced in Celery, resume after a crash."""
