"""Why a backend differs from the reference: the causes its declaration names (BackendDeclaration.causes),
put into the comparison report next to the measured differences."""

from __future__ import annotations

from html import escape


def backend_causes(backends) -> dict[str, dict[str, str]]:
    """backend -> {cause: explanation}, for the registered backends among ``backends`` that declare causes."""
    from ..adapters.registry import DECLARATIONS

    return {name: dict(DECLARATIONS[name].causes) for name in backends
            if name in DECLARATIONS and DECLARATIONS[name].causes}


def markdown(report: dict) -> list[str]:
    causes = report.get("causes") or {}
    if not causes:
        return []
    out = ["## Why the backends differ", ""]
    for name, items in causes.items():
        out.append(f"`{name}` runs the spec's numerics differently from `{report['reference']}`:")
        out += [f"- **{cause}**: {text}" for cause, text in items.items()]
        out.append("")
    return out


def html(report: dict) -> str:
    causes = report.get("causes") or {}
    if not causes:
        return ""
    parts = ["<h2>Why the backends differ</h2>"]
    for name, items in causes.items():
        parts.append(f"<p><code>{escape(name)}</code> runs the spec's numerics differently from "
                     f"<code>{escape(report['reference'])}</code>:</p><ul>")
        parts += [f"<li><b>{escape(cause)}</b>: {escape(text)}</li>" for cause, text in items.items()]
        parts.append("</ul>")
    return "".join(parts)
