"""GitHub's REST API, the little qaforge needs of it: one pull-request comment kept up to date
(found again by its marker), and commit statuses."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from qaforge.errors import UserError
from qaforge.integrations.ci_summary import MARKER

API = "https://api.github.com"


class GitHubError(UserError):
    """GitHub refused a request (or could not be reached), with what it said."""


@dataclass(frozen=True)
class GitHub:
    """A repository on a GitHub (or GitHub Enterprise) API, with a token."""

    repo: str  # owner/name
    token: str
    api_url: str = API
    timeout_s: float = 30.0

    def _client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.api_url.rstrip("/"),
            timeout=self.timeout_s,
            headers={
                "Authorization": f"Bearer {self.token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
                "User-Agent": "qaforge",
            },
        )

    async def _call(
        self, client: httpx.AsyncClient, method: str, path: str, body: dict[str, Any] | None = None
    ) -> Any:
        try:
            r = await client.request(method, path, json=body)
        except httpx.HTTPError as exc:
            raise GitHubError(f"cannot reach {self.api_url}: {exc}") from None
        if r.status_code >= 400:
            try:
                said = r.json().get("message", r.text)
            except ValueError:
                said = r.text
            raise GitHubError(f"GitHub answered {r.status_code} to {method} {path}: {said}")
        return r.json() if r.content else None

    async def upsert_comment(self, number: int, body: str) -> str:
        """Write `body` as qaforge's comment on pull request `number`: the earlier one (found
        by its marker) is edited rather than a new one added; returns the comment's URL."""
        async with self._client() as c:
            path = f"/repos/{self.repo}/issues/{number}/comments"
            page = 1
            mine: dict[str, Any] | None = None
            while mine is None:
                found = await self._call(c, "GET", f"{path}?per_page=100&page={page}")
                if not found:
                    break
                mine = next((x for x in found if MARKER in (x.get("body") or "")), None)
                if len(found) < 100:
                    break
                page += 1
            if mine is not None:
                done = await self._call(
                    c, "PATCH", f"/repos/{self.repo}/issues/comments/{mine['id']}", {"body": body}
                )
            else:
                done = await self._call(c, "POST", path, {"body": body})
            return str(done.get("html_url", ""))

    async def commit_status(
        self, sha: str, state: str, description: str, target_url: str = ""
    ) -> None:
        """Set qaforge's status on a commit (pending, success, failure, error)."""
        body: dict[str, Any] = {
            "state": state,
            "description": description[:140],
            "context": "qaforge",
        }
        if target_url:
            body["target_url"] = target_url
        async with self._client() as c:
            await self._call(c, "POST", f"/repos/{self.repo}/statuses/{sha}", body)


def pull_request_number(event_path: str | None) -> int | None:
    """The pull request of a workflow's event (`GITHUB_EVENT_PATH`), if it is about one."""
    if not event_path:
        return None
    try:
        event = json.loads(Path(event_path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    pr = event.get("pull_request") or {}
    number = pr.get("number") or event.get("number")
    return int(number) if isinstance(number, int) else None
