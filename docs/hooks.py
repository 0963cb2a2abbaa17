"""MkDocs hooks: pages generated at build time from the sources they describe.

A page asks for generated content with an HTML comment on a line of its own:

- ``<!-- openapi: openapi/audioshake.yaml -->``: every operation (and webhook) of the
  OpenAPI document, then its schemas, as Markdown. The spec stays the one source; nothing
  is copied into ``docs/`` and nothing is fetched when the page is viewed.
- ``<!-- typer: audioshake_kit.cli.main audioshake -->``: the CLI reference of a Typer
  app, by Typer's own ``typer MODULE utils docs --name NAME``, headings moved one level
  down so they sit under the page's title.

An unknown directive, a missing file, a ``$ref`` that points nowhere, or a failing
``typer`` run stops the build with an error naming it (``mkdocs build --strict`` or not).
This module is not part of the installed packages: ``mkdocs.yml`` loads it by path.
"""

from __future__ import annotations

import html
import re
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
DIRECTIVE = re.compile(r"^<!--\s*(openapi|typer):\s*(.+?)\s*-->\s*$", re.MULTILINE)
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


class DocsBuildError(RuntimeError):
    """Generated content could not be made; the message names the page and the cause."""


def on_page_markdown(markdown: str, page: Any, **_: Any) -> str:
    """Replace each directive in a page's Markdown with the content it names."""

    def expand(m: re.Match[str]) -> str:
        kind, arg = m.group(1), m.group(2)
        where = f"{page.file.src_uri}: <!-- {kind}: {arg} -->"
        try:
            if kind == "openapi":
                return render_openapi(arg)
            return render_typer(*arg.split())
        except (OSError, KeyError, ValueError, TypeError, subprocess.SubprocessError) as exc:
            raise DocsBuildError(f"{where}: {exc}") from exc

    return DIRECTIVE.sub(expand, markdown)


# -- the CLI ------------------------------------------------------------------------------


@cache
def render_typer(module: str, name: str) -> str:
    """``typer MODULE utils docs --name NAME``, headings one level down, ``<`` and ``[``
    escaped outside code (Typer writes help text as it is: ``<file stem>`` would read as
    HTML, ``MODEL[@VARIANT][:FMT]`` as a reference link)."""
    done = subprocess.run(
        [sys.executable, "-m", "typer", module, "utils", "docs", "--name", name],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if done.returncode != 0 or not done.stdout.strip():
        raise ValueError(f"typer {module} utils docs exited {done.returncode}: {done.stderr}")
    out: list[str] = []
    fenced = False
    for line in done.stdout.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced:
            if line.startswith("#"):
                line = "#" + line
            line = _escape_outside_code(line)
        out.append(line)
    return "\n".join(out) + "\n"


def _escape_outside_code(line: str) -> str:
    parts = line.split("`")
    parts[::2] = [html.escape(p, quote=False).replace("[", "\\[") for p in parts[::2]]
    return "`".join(parts)


# -- OpenAPI ------------------------------------------------------------------------------


@cache
def _load(path: str) -> dict[str, Any]:
    file = ROOT / path
    doc = yaml.safe_load(file.read_text(encoding="utf-8"))
    if not isinstance(doc, dict) or "paths" not in doc:
        raise ValueError(f"{path} is not an OpenAPI document (no 'paths')")
    return doc


def _resolve(doc: dict[str, Any], node: Any) -> Any:
    """Follow local ``$ref`` chains (``#/components/...``)."""
    seen: set[str] = set()
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        if not isinstance(ref, str) or not ref.startswith("#/") or ref in seen:
            raise ValueError(f"unsupported or circular $ref {ref!r}")
        seen.add(ref)
        target: Any = doc
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(target, dict) or part not in target:
                raise KeyError(f"$ref {ref!r} points nowhere")
            target = target[part]
        node = target
    return node


def _anchor(kind: str, name: str) -> str:
    return f"{kind}-" + re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _cell(text: Any) -> str:
    """Text for one table cell: one line, pipes escaped."""
    return " ".join(str(text or "").split()).replace("|", "\\|")


def _type(doc: dict[str, Any], schema: Any) -> str:
    """A short type: ``string``, ``integer | null``, ``array of [Task](#schema-task)``."""
    if not isinstance(schema, dict):
        return ""
    ref = schema.get("$ref")
    if isinstance(ref, str):
        _resolve(doc, schema)  # fail on a dangling reference
        name = ref.rsplit("/", 1)[-1]
        if ref.startswith("#/components/schemas/"):
            return f"[{name}](#{_anchor('schema', name)})"
        return name
    for key in ("oneOf", "anyOf", "allOf"):
        if key in schema:
            joiner = " & " if key == "allOf" else " | "
            return joiner.join(_type(doc, s) for s in schema[key])
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind] if kind else []
    words: list[str] = []
    for k in kinds:
        if k == "array":
            words.append(f"array of {_type(doc, schema.get('items', {})) or 'any'}")
        elif k is not None:
            words.append(str(k) + (f" ({schema['format']})" if "format" in schema else ""))
    if "enum" in schema:
        words.append("one of " + ", ".join(f"`{v}`" for v in schema["enum"]))
    if "const" in schema:
        words.append(f"`{schema['const']}`")
    return " | ".join(words) or ("object" if "properties" in schema else "any")


def _schema_table(doc: dict[str, Any], schema: dict[str, Any]) -> list[str]:
    props = schema.get("properties") or {}
    if not props:
        return []
    required = set(schema.get("required") or [])
    rows = ["| field | type | required | description |", "|---|---|---|---|"]
    for name, prop in props.items():
        desc = prop.get("description", "") if isinstance(prop, dict) else ""
        mark = "yes" if name in required else ""
        rows.append(f"| `{name}` | {_cell(_type(doc, prop))} | {mark} | {_cell(desc)} |")
    return rows


def _body_lines(doc: dict[str, Any], content: dict[str, Any]) -> list[str]:
    lines = []
    for media, item in (content or {}).items():
        schema = (item or {}).get("schema")
        shown = _type(doc, schema) if schema else "any"
        lines.append(f"- `{media}`: {shown}")
        resolved = _resolve(doc, schema) if schema else None
        if isinstance(resolved, dict) and "$ref" not in (schema or {}):
            table = _schema_table(doc, resolved)
            if table:
                lines += ["", *["    " + row for row in table], ""]
    return lines


def _operation(
    doc: dict[str, Any],
    method: str,
    path: str,
    op: dict[str, Any],
    shared: list[Any],
    level: str = "###",
) -> list[str]:
    """One operation: title, description, parameters, request body, responses."""
    op_id = op.get("operationId") or f"{method} {path}"
    title = f"`{method.upper()} {path}`"
    summary = op.get("summary")
    out = [
        f"{level} {title}" + (f": {summary}" if summary else "") + f" {{#{_anchor('op', op_id)}}}",
        "",
    ]
    meta = [f"operation `{op_id}`"]
    if op.get("x-mock-contract"):
        meta.append("a mock-contract decision (`x-mock-contract`)")
    if op.get("security") == []:
        meta.append("no key needed")
    out += ["*" + "; ".join(meta) + "*", ""]
    if op.get("description"):
        out += [str(op["description"]).strip(), ""]
    params = [_resolve(doc, p) for p in [*shared, *(op.get("parameters") or [])]]
    if params:
        out += ["| parameter | in | type | required | description |", "|---|---|---|---|---|"]
        for p in params:
            mark = "yes" if p.get("required") else ""
            out.append(
                f"| `{p['name']}` | {p['in']} | {_cell(_type(doc, p.get('schema', {})))} | {mark} "
                f"| {_cell(p.get('description'))} |"
            )
        out.append("")
    body = op.get("requestBody")
    if body:
        body = _resolve(doc, body)
        out += ["**Request body**" + (" (required)" if body.get("required") else "") + ":", ""]
        out += [*_body_lines(doc, body.get("content") or {}), ""]
    responses = op.get("responses") or {}
    if responses:
        out += ["| status | description | body |", "|---|---|---|"]
        for status, resp in responses.items():
            resp = _resolve(doc, resp)
            content = resp.get("content") or {}
            bodies = ", ".join(
                f"`{media}` {_type(doc, (item or {}).get('schema'))}".strip()
                for media, item in content.items()
            )
            out.append(f"| {status} | {_cell(resp.get('description'))} | {_cell(bodies)} |")
        out.append("")
    return out


@cache
def render_openapi(path: str) -> str:
    """The operations, webhooks and schemas of the OpenAPI document at ``path`` (from
    the repository's root) as Markdown, with links between them."""
    doc = _load(path)
    info = doc.get("info") or {}
    out = [
        f"*Rendered from `{path}` ({info.get('title', '')} {info.get('version', '')}, "
        f"OpenAPI {doc.get('openapi', '?')}) when the site was built.*",
        "",
    ]
    servers = doc.get("servers") or []
    if servers:
        out += ["Servers: " + ", ".join(f"`{s.get('url')}`" for s in servers), ""]
    groups: dict[str, list[tuple[str, str, dict[str, Any], list[Any]]]] = {}
    for p, item in (doc.get("paths") or {}).items():
        for method in METHODS:
            if method in item:
                op = item[method]
                tag = str((op.get("tags") or [""])[0])
                groups.setdefault(tag, []).append((method, p, op, item.get("parameters") or []))
    out += ["## Operations", ""]
    for tag, ops in groups.items():
        if tag:  # an untagged document lists its operations without group headings
            out += [f"### {tag.capitalize()}", ""]
        for method, p, op, shared in ops:
            out += _operation(doc, method, p, op, shared, level="####" if tag else "###")
    webhooks = doc.get("webhooks") or {}
    if webhooks:
        out += ["## Webhooks", ""]
        for name, item in webhooks.items():
            for method in METHODS:
                if method in item:
                    out += _operation(doc, method, name, item[method], [])
    schemas = (doc.get("components") or {}).get("schemas") or {}
    if schemas:
        out += ["## Schemas", ""]
        for name, schema in schemas.items():
            out += [f"### {name} {{#{_anchor('schema', name)}}}", ""]
            if schema.get("description"):
                out += [str(schema["description"]).strip(), ""]
            table = _schema_table(doc, schema)
            out += [*table, ""] if table else [f"Type: {_type(doc, schema)}", ""]
    return "\n".join(out) + "\n"
