"""``python -m audioshake_kit``: the ``audioshake`` command."""

from .cli.main import app

if __name__ == "__main__":
    app(prog_name="audioshake")
