"""Page text into code, only ever as a proper literal of the target language."""

from __future__ import annotations

import json


def py_str(text: str) -> str:
    """A Python string literal for `text` (repr: quotes, backslashes, newlines escaped)."""
    return repr(str(text))


def py_docstring(text: str) -> str:
    """A readable triple-quoted docstring when `text` allows it, else a plain literal."""
    safe = (
        '"""' not in text
        and "\\" not in text
        and "\r" not in text
        and not text.endswith('"')
        and all(ch.isprintable() or ch == "\n" for ch in text)
    )
    if safe:
        return '"""' + text.replace("\n", "\n    ") + '\n    """'
    return py_str(text)


def ts_str(text: str) -> str:
    """A TypeScript string literal: JSON with the characters JS treats specially escaped."""
    out = json.dumps(str(text), ensure_ascii=True)
    # JSON allows these raw in strings; a JS source line does not (and `</script>` is harmless
    # inside a literal but escaping `<` keeps generated files greppable and inert in HTML).
    return out.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").replace("<", "\\u003c")


def ts_comment(text: str) -> str:
    """Text for inside a `/* */` block comment (its terminator and control characters removed)."""
    cleaned = "".join(ch if ch.isprintable() or ch == "\n" else " " for ch in text)
    return cleaned.replace("*/", "* /").replace("\n", "\n * ")
