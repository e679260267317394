"""The marketer's back end: drafts, approvals, publishing, access rules and the audit log.

Plain Python over the DAL; ``functions/admin/handler.py`` is only the HTTP glue around it.
"""
