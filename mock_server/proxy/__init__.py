"""``audioshake-mock proxy``: a validating reverse proxy in front of the real service (or
any upstream speaking the spec) that reports drift from ``openapi/audioshake.yaml`` and
records exchanges as VCR.py cassettes.

Modules: ``operations`` (request → operationId), ``checks`` (requests and responses
against the spec: violations and undocumented fields), ``drift`` (distinct findings,
counts, the report), ``urls`` (link rewriting and redaction of signed URLs),
``cassette`` (the VCR.py YAML writer), ``app`` (the Starlette proxy), ``serve`` (the
``proxy`` command on uvicorn), ``fixtures`` (recordings → test data, mock seeding),
``replay`` (a VCR.py persister that puts kept media back), ``live`` (``check-live``).
"""
