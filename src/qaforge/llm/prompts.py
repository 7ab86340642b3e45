"""Prompts as files: Markdown with front matter, built in under `qaforge/prompts/` and
overridable by name from a user folder (`QAFORGE_PROMPTS_DIR`). A changed file is read again at
its next use, without a restart.

    ---
    name: plan-goal
    version: 2
    tier: strong            # or small
    answer: GoalPlan        # the pydantic model the answer is validated against
    description: one line
    ---
    # System
    ...Jinja2...
    # User
    ...Jinja2, with untrusted text through the `data` filter...

Text from the app under test (page text, labels, a user-stories file) enters a prompt only
through the `data` filter: JSON-quoted inside a fenced `data` block, which the system part
declares to be data and never instructions.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import frontmatter
from jinja2 import Environment, StrictUndefined, TemplateError, Undefined, UndefinedError
from pydantic import BaseModel

from qaforge.errors import UserError
from qaforge.llm.endpoint import Tier

BUILTIN_DIR = Path(__file__).resolve().parents[1] / "prompts"


class PromptError(UserError):
    """A prompt file is missing, malformed or names an answer schema nobody defined."""


def as_data(value: Any) -> str:
    """Untrusted text (or any JSON-able value) as a quoted data block, never as instructions."""
    if isinstance(value, Undefined):
        raise UndefinedError("a value the prompt quotes as data was not given")
    return "```data\n" + json.dumps(value, ensure_ascii=False, indent=1) + "\n```"


_ENV = Environment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
_ENV.filters["data"] = as_data


@dataclass(frozen=True)
class RenderedPrompt:
    """What goes to the model: two messages, and which prompt (and version) made them."""

    name: str
    variant: str
    tier: Tier
    system: str
    user: str


@dataclass(frozen=True)
class Prompt:
    """One prompt file, parsed."""

    name: str
    version: int
    tier: Tier
    answer: type[BaseModel]
    description: str
    system: str
    user: str
    path: Path
    digest: str

    @property
    def variant(self) -> str:
        """The prompt's identity for the learning loop: name, version and content (a user's
        edit without a new version is still another variant)."""
        return f"{self.name}@v{self.version}-{self.digest[:8]}"

    def render(self, **values: Any) -> RenderedPrompt:
        """The two messages for `values` (a missing value is an error, not an empty string)."""
        try:
            system = _ENV.from_string(self.system).render(**values)
            user = _ENV.from_string(self.user).render(**values)
        except TemplateError as exc:
            where = f"prompt {self.name} ({self.path})"
            raise PromptError(f"{where} cannot be rendered: {exc}") from exc
        return RenderedPrompt(self.name, self.variant, self.tier, system.strip(), user.strip())


def parse_prompt(path: Path, answers: dict[str, type[BaseModel]]) -> Prompt:
    """Read one prompt file; `PromptError` says what is wrong with it."""
    try:
        text = path.read_text(encoding="utf-8")
        post = frontmatter.loads(text)
    except (OSError, ValueError) as exc:  # yaml errors are ValueErrors
        raise PromptError(f"prompt file {path} cannot be read: {exc}") from exc
    meta = post.metadata
    missing = [k for k in ("name", "version", "tier", "answer") if k not in meta]
    if missing:
        raise PromptError(f"prompt file {path} lacks {', '.join(missing)} in its front matter")
    answer = answers.get(str(meta["answer"]))
    if answer is None:
        known = ", ".join(sorted(answers))
        raise PromptError(f"prompt file {path} names answer {meta['answer']!r}; known: {known}")
    try:
        tier = Tier(str(meta["tier"]))
        version = int(str(meta["version"]))
    except ValueError as exc:
        raise PromptError(f"prompt file {path}: {exc}") from exc
    system, user = _sections(post.content, path)
    for part in (system, user):
        try:
            _ENV.parse(part)
        except TemplateError as exc:
            raise PromptError(f"prompt file {path} is not a valid template: {exc}") from exc
    return Prompt(
        name=str(meta["name"]),
        version=version,
        tier=tier,
        answer=answer,
        description=str(meta.get("description", "")),
        system=system,
        user=user,
        path=path,
        digest=hashlib.sha256(text.encode()).hexdigest(),
    )


def _sections(body: str, path: Path) -> tuple[str, str]:
    parts: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in body.splitlines():
        heading = line.strip().lower()
        if heading in {"# system", "# user"}:
            current = parts.setdefault(heading[2:], [])
            continue
        if current is not None:
            current.append(line)
    if "user" not in parts:
        raise PromptError(f"prompt file {path} has no '# User' section")
    return "\n".join(parts.get("system", [])), "\n".join(parts["user"])


@dataclass
class PromptLibrary:
    """The prompts by name: the user folder's first, then the built-in ones."""

    answers: dict[str, type[BaseModel]]
    user_dir: Path | None = None
    builtin_dir: Path = BUILTIN_DIR
    _cache: dict[Path, tuple[int, int, Prompt]] = field(default_factory=dict, repr=False)

    def _files(self) -> dict[str, Path]:
        found: dict[str, Path] = {}
        for folder in (self.builtin_dir, self.user_dir):  # later folders override
            if folder is not None and folder.is_dir():
                for path in sorted(folder.glob("*.md")):
                    found[self._name_of(path)] = path
        return found

    def _name_of(self, path: Path) -> str:
        try:
            return str(frontmatter.loads(path.read_text(encoding="utf-8")).get("name", path.stem))
        except (OSError, ValueError):
            return path.stem

    def _load(self, path: Path) -> Prompt:
        st = path.stat()
        cached = self._cache.get(path)
        if cached is not None and cached[:2] == (st.st_mtime_ns, st.st_size):
            return cached[2]
        prompt = parse_prompt(path, self.answers)
        self._cache[path] = (st.st_mtime_ns, st.st_size, prompt)
        return prompt

    def get(self, name: str) -> Prompt:
        """The prompt called `name`, read again when its file changed since the last use."""
        path = self._files().get(name)
        if path is None:
            raise PromptError(f"no prompt called {name!r} (looked in {self._where()})")
        return self._load(path)

    def all(self) -> list[Prompt]:
        """Every prompt, each checked (a broken file raises `PromptError`)."""
        return [self._load(p) for _, p in sorted(self._files().items())]

    def _where(self) -> str:
        return ", ".join(str(d) for d in (self.user_dir, self.builtin_dir) if d is not None)
