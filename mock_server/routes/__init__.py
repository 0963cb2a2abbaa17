"""The public API: one list of (path, {method: (operationId, handler)})."""

from __future__ import annotations

from . import assets, models, tasks, webhooks
from .common import Operations

__all__ = ["PUBLIC_ROUTES"]

PUBLIC_ROUTES: list[tuple[str, Operations]] = [
    ("/tasks", {"POST": ("createTask", tasks.create), "GET": ("listTasks", tasks.list_)}),
    ("/tasks/statistics", {"GET": ("getTaskStatistics", tasks.statistics)}),
    ("/tasks/{id}", {"GET": ("getTask", tasks.get)}),
    ("/assets", {"POST": ("uploadAsset", assets.upload), "GET": ("listAssets", assets.list_)}),
    ("/models", {"GET": ("listModels", models.list_)}),
    ("/webhooks", {"POST": ("registerWebhook", webhooks.register)}),
]
