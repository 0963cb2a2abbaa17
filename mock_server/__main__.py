"""``python -m mock_server``: the ``audioshake-mock`` command."""

from .cli import app

app(prog_name="audioshake-mock")
