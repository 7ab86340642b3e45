"""A copy of what a generation wrote, inside the suite (`.qaforge/generated/`).

`qaforge sync` reads it to tell what a person changed since; a later generation into the same
folder reads it to keep what a person edited (`generate/regenerate.py`). It holds what qaforge
generated, never a person's edits, so an edit stays an edit across generations."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

SNAPSHOT_DIR = Path(".qaforge") / "generated"
MANIFEST = "manifest.json"
# A suffix pytest never collects, so the copies cannot run as tests.
SUFFIX = ".snapshot"


def sha256_text(text: str) -> str:
    """Hex SHA-256 of a text (UTF-8)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def suite_files(suite_dir: Path) -> tuple[list[str], list[dict[str, Any]]]:
    """The generated files and tests listed in the suite's `suite.json`."""
    path = suite_dir / "suite.json"
    if not path.exists():
        return [], []
    doc = json.loads(path.read_text(encoding="utf-8"))
    files = [str(f) for f in doc.get("files", [])]
    tests = [
        {
            "test_id": t["test_id"],
            "kind": t.get("kind", ""),
            "file": t.get("file", ""),
            "function": t.get("function", ""),
            "template": t.get("template", ""),
        }
        for t in doc.get("tests", [])
    ]
    return files, tests


def write_snapshot(
    suite_dir: Path,
    run_id: str,
    generation_id: int,
    files: list[str],
    texts: dict[str, str] | None = None,
) -> dict[str, str]:
    """Copy `files` (relative to the suite) into the snapshot, as `texts` gives them or else
    as they are on disk; returns path → sha256. The snapshot is replaced whole."""
    root = suite_dir / SNAPSHOT_DIR
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True, exist_ok=True)
    hashes: dict[str, str] = {}
    for rel in files:
        src = suite_dir / rel
        if texts is not None and rel in texts:
            text = texts[rel]
        elif src.is_file():
            text = src.read_text(encoding="utf-8")
        else:
            continue
        dst = root / (rel + SUFFIX)
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.write_text(text, encoding="utf-8")
        hashes[rel] = sha256_text(text)
    manifest = {"run_id": run_id, "generation_id": generation_id, "files": hashes}
    (root / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return hashes


def read_manifest(suite_dir: Path) -> dict[str, Any] | None:
    """The snapshot's manifest, if the suite has one."""
    path = suite_dir / SNAPSHOT_DIR / MANIFEST
    if not path.exists():
        return None
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def snapshot_text(suite_dir: Path, rel: str) -> str | None:
    """The generated text of `rel` from the snapshot."""
    path = suite_dir / SNAPSHOT_DIR / (rel + SUFFIX)
    return path.read_text(encoding="utf-8") if path.exists() else None


def stamp_snapshot(suite_dir: Path, run_id: str, generation_id: int) -> dict[str, str] | None:
    """Name the generation that the snapshot already in the suite belongs to; its hashes.

    None when there is no snapshot (a suite written before they were kept)."""
    manifest = read_manifest(suite_dir)
    if manifest is None:
        return None
    manifest.update(run_id=run_id, generation_id=generation_id)
    (suite_dir / SNAPSHOT_DIR / MANIFEST).write_text(json.dumps(manifest, indent=2), "utf-8")
    return {str(k): str(v) for k, v in manifest.get("files", {}).items()}
