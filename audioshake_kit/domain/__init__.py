"""The rules of the AudioShake service that the facade and the mock share.

Pure: no network, no clients, no generated code. Reading the package's own data files
and probing a local media file are the only I/O. Importing a module here loads nothing
else of the kit (``make lint`` holds this with import-linter contracts):

- ``spec``: the packaged OpenAPI description and model catalog data
- ``catalog``: the model catalog as typed objects (models, rates, formats, limits)
- ``billing``: started minutes, rates, rounding, a task's cost
- ``rules``: the request rules of ``POST /tasks`` (``check_task_request``)
- ``media``: sniffing a file's type by content, probing its duration
- ``codes``: target error codes and whether a failure is billed
- ``status``: target status values and "has it finished"
- ``signing``: the mock's webhook signature scheme
- ``errors``: the root of the kit's exception tree and the domain's own errors
- ``words``: counted nouns in messages (``1 target``, ``2 targets``)
"""
