"""AudioShake and AsyncAudioShake have the same public methods with the same parameters;
``__all__`` lists exactly the public names of the package (httpx's test_exported_members)."""

from __future__ import annotations

import inspect

import audioshake_kit
from audioshake_kit import AsyncAudioShake, AudioShake

# Pairs that differ by name only, as in httpx (close/aclose).
RENAMED = {"close": "aclose", "__enter__": "__aenter__", "__exit__": "__aexit__"}
# Sync only, by design: the batch engine runs on threads (see audioshake_kit.batch).
SYNC_ONLY = {"batch"}


def public_methods(cls: type) -> dict[str, inspect.Signature]:
    return {
        name: inspect.signature(member)
        for name, member in inspect.getmembers(cls, inspect.isfunction)
        if not name.startswith("_") or name in RENAMED or name in RENAMED.values()
    }


def shape(sig: inspect.Signature) -> list[tuple[str, object, object]]:
    return [(p.name, p.kind, p.default) for p in sig.parameters.values()]


def test_same_methods_same_parameters() -> None:
    sync, aio = public_methods(AudioShake), public_methods(AsyncAudioShake)
    assert set(sync) >= SYNC_ONLY and not SYNC_ONLY & set(aio)
    sync = {n: sig for n, sig in sync.items() if n not in SYNC_ONLY}
    assert {RENAMED.get(n, n) for n in sync} == set(aio)
    for name, sig in sync.items():
        assert shape(sig) == shape(aio[RENAMED.get(name, name)]), name
    assert shape(inspect.signature(AudioShake.__init__)) == shape(
        inspect.signature(AsyncAudioShake.__init__)
    )


def test_async_methods_are_awaitable_or_async_iterators() -> None:
    for name in public_methods(AsyncAudioShake):
        member = getattr(AsyncAudioShake, name)
        assert inspect.iscoroutinefunction(member) or inspect.isasyncgenfunction(member), name


def test_issue_method_names_exist() -> None:
    for name in [
        "upload",
        "create_task",
        "get_task",
        "list_tasks",
        "list_assets",
        "models",
        "usage",
        "wait",
        "download",
        "separate",
        "estimate",
    ]:
        assert callable(getattr(AudioShake, name))


def test_all_lists_the_public_names() -> None:
    for name in audioshake_kit.__all__:  # lazy (PEP 562): each resolves on first use
        getattr(audioshake_kit, name)
    exported = {
        name
        for name, value in vars(audioshake_kit).items()
        if not name.startswith("_")
        and not inspect.ismodule(value)
        and getattr(value, "__module__", "audioshake_kit") != "__future__"
    }
    assert set(audioshake_kit.__all__) == exported
    assert sorted(audioshake_kit.__all__) == audioshake_kit.__all__


def test_only_the_cli_imports_typer_and_rich() -> None:
    from pathlib import Path

    package = Path(audioshake_kit.__file__).parent
    for path in package.glob("*.py"):
        text = path.read_text()
        for lib in ("typer", "rich"):
            assert f"import {lib}" not in text and f"from {lib}" not in text, path.name
