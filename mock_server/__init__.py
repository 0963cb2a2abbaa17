"""A stateful, offline mock of the AudioShake Tasks API (see design.md, "Mock contract")."""
