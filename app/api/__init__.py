"""The HTTP service's parts, assembled by ``app.service.create_app``: routes (ask, completions,
documents, health), access control, limits, chat sessions, metrics, logs and the audit trail."""
