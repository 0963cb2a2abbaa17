"""Words in messages for people: counted nouns."""

__all__ = ["plural"]


def plural(n: float, noun: str, nouns: str | None = None) -> str:
    """``n`` and ``noun``, plural unless ``n`` is 1: ``1 target``, ``2 targets``,
    ``1.5 credits`` (a float is written with ``:g``).

    ``nouns`` is the plural when adding "s" is wrong (``plural(2, "try", "tries")``)."""
    shown = f"{n:g}" if isinstance(n, float) else str(n)
    return f"{shown} {noun}" if n == 1 else f"{shown} {nouns or noun + 's'}"
