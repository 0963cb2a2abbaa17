"""A stateful, offline mock of the AudioShake Tasks API. What it decides where the
service's documentation is silent is marked ``x-mock-contract`` in the spec.

The server, its harness and its pytest fixtures need the ``[mock]`` extra
(``pip install 'audioshake-kit[mock]'``); the pytest plugin's registration and the
``audioshake-mock`` command's help load without it. Importing this package loads nothing.
"""
