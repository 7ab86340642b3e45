"""Does a heal candidate mean what the original control meant? (DESIGN §3: add ≠ remove.)

A fingerprint match says "a control like this one, in this place"; it cannot tell "Add query"
from "Remove query", or the edit link of issue 12 from that of issue 13. Before a candidate is
used, `contradiction` compares what the two controls say about themselves — role, accessible
name, visible text, label and the identifying attributes (`name`, id, href, value, test id,
aria-label, placeholder) — and returns why they differ in meaning, or None.

The candidate contradicts the original when

- its role differs (a link is not a button);
- the two speak of opposite actions: a word of an `OPPOSITES` pair on one side and its
  opposite on the other (add/remove, save/delete, log in/log out, on/off, ...);
- a field both carry names a different record: the numbers in it differ ("Edit issue 12" vs
  "Edit issue 13", `row-3` vs `row-4`, `user1@…` vs `user2@…`);
- a destructive word (delete, remove, cancel, log out, pay, ...) appears in the candidate and
  nowhere in the original.

Texts are compared as token sets: split on case changes, letter/digit boundaries and every
non-alphanumeric character (`@`, `_`, `-`, `.`, `/`, spaces), lowercased, with simple
inflections folded onto the words of the tables (removed → remove, closing → close). A rename
that keeps the meaning ("Add to cart" → "Add to basket", "Save" → "Save changes", "Submit" →
"Send") contradicts nothing and is left to the similarity threshold and the re-run.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

from qaforge.models import Element, Fingerprint

# Opposite actions and states. Symmetric: each pair is checked in both directions.
OPPOSITES: tuple[tuple[str, str], ...] = (
    ("add", "remove"),
    ("add", "delete"),
    ("add", "subtract"),
    ("save", "delete"),
    ("save", "discard"),
    ("create", "delete"),
    ("create", "remove"),
    ("create", "destroy"),
    ("insert", "delete"),
    ("insert", "remove"),
    ("next", "previous"),
    ("next", "prev"),
    ("next", "back"),
    ("forward", "back"),
    ("forward", "backward"),
    ("first", "last"),
    ("open", "close"),
    ("show", "hide"),
    ("expand", "collapse"),
    ("enable", "disable"),
    ("activate", "deactivate"),
    ("increase", "decrease"),
    ("increment", "decrement"),
    ("up", "down"),
    ("plus", "minus"),
    ("more", "less"),
    ("more", "fewer"),
    ("max", "min"),
    ("maximum", "minimum"),
    ("maximize", "minimize"),
    ("in", "out"),
    ("login", "logout"),
    ("signin", "signout"),
    ("subscribe", "unsubscribe"),
    ("follow", "unfollow"),
    ("lock", "unlock"),
    ("block", "unblock"),
    ("mute", "unmute"),
    ("pin", "unpin"),
    ("star", "unstar"),
    ("like", "unlike"),
    ("like", "dislike"),
    ("archive", "unarchive"),
    ("publish", "unpublish"),
    ("assign", "unassign"),
    ("check", "uncheck"),
    ("select", "deselect"),
    ("select", "unselect"),
    ("install", "uninstall"),
    ("connect", "disconnect"),
    ("attach", "detach"),
    ("link", "unlink"),
    ("accept", "reject"),
    ("accept", "decline"),
    ("approve", "deny"),
    ("approve", "reject"),
    ("allow", "deny"),
    ("allow", "block"),
    ("grant", "revoke"),
    ("confirm", "cancel"),
    ("ok", "cancel"),
    ("yes", "no"),
    ("on", "off"),
    ("true", "false"),
    ("start", "stop"),
    ("play", "pause"),
    ("resume", "pause"),
    ("join", "leave"),
    ("include", "exclude"),
    ("import", "export"),
    ("upload", "download"),
    ("buy", "sell"),
    ("undo", "redo"),
    ("encrypt", "decrypt"),
    ("asc", "desc"),
    ("ascending", "descending"),
    ("before", "after"),
    ("zoomin", "zoomout"),
)

# Words of actions that lose data, money or the session: a candidate may not introduce one.
DESTRUCTIVE: frozenset[str] = frozenset(
    {
        "delete",
        "remove",
        "destroy",
        "drop",
        "cancel",
        "cancellation",
        "purge",
        "erase",
        "wipe",
        "trash",
        "discard",
        "revoke",
        "terminate",
        "deactivate",
        "unsubscribe",
        "logout",
        "signout",
        "pay",
        "purchase",
    }
)

# Two-word phrases that name one action ("Log out" = "logout" = "logOut").
_PHRASES: dict[tuple[str, str], str] = {
    ("log", "in"): "login",
    ("log", "on"): "login",
    ("sign", "in"): "signin",
    ("sign", "on"): "signin",
    ("log", "out"): "logout",
    ("log", "off"): "logout",
    ("sign", "out"): "signout",
    ("sign", "off"): "signout",
    ("zoom", "in"): "zoomin",
    ("zoom", "out"): "zoomout",
    ("drop", "down"): "dropdown",
}
_SYNONYMS = {"logoff": "logout", "signoff": "signout", "logon": "login", "signon": "signin"}

_VOCAB: frozenset[str] = frozenset(
    {w for pair in OPPOSITES for w in pair} | DESTRUCTIVE | set(_PHRASES.values())
)
# Identifying attributes compared field by field (the label comes from the snapshot's
# `label`, the accessible name and text from the fingerprint itself).
_FIELDS = (
    "name",
    "id",
    "href",
    "value",
    "data-testid",
    "data-test",
    "data-qa",
    "aria-label",
    "label",
    "placeholder",
)
# A count badge at the end of a visible name ("Inbox (3)") is state, not identity.
_COUNTER = re.compile(r"\s*[(\[]\s*\d+\s*[)\]]\s*$")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_DIGITS = re.compile(r"(?<=[A-Za-z])(?=\d)|(?<=\d)(?=[A-Za-z])")
_SPLIT = re.compile(r"[^0-9A-Za-z]+")


def _canonical(token: str) -> str:
    """Fold simple inflections onto a word of the tables: removed → remove, closing → close."""
    token = _SYNONYMS.get(token, token)
    if token in _VOCAB or len(token) < 4:
        return token
    for suffix, add in (("ing", ""), ("ing", "e"), ("ed", ""), ("ed", "e"), ("d", ""),
                        ("es", ""), ("s", "")):  # fmt: skip
        if token.endswith(suffix):
            stem = token[: -len(suffix)] + add
            if stem in _VOCAB:
                return stem
            if len(stem) > 3 and stem[-1] == stem[-2] and stem[:-1] in _VOCAB:
                return stem[:-1]  # stopped → stop, dropped → drop
    return token


def tokens(text: str) -> list[str]:
    """Words and numbers of `text`, lowercased, in order; phrases folded ("log out" → logout).

    `user1@add@queries` → [user, 1, add, queries]; `logOutButton` → [logout, button]."""
    text = _DIGITS.sub(" ", _CAMEL.sub(" ", text))
    words = [_canonical(w) for w in _SPLIT.split(text.lower()) if w]
    out: list[str] = []
    i = 0
    while i < len(words):
        phrase = _PHRASES.get((words[i], words[i + 1])) if i + 1 < len(words) else None
        out.append(phrase or words[i])
        i += 2 if phrase else 1
    return out


def _numbers(words: Iterable[str]) -> set[int]:
    return {int(w) for w in words if w.isdigit()}


def _fields(fp: Fingerprint, extra: Mapping[str, str]) -> dict[str, str]:
    """What the control says about itself, by field; empty fields left out."""
    attrs = {**fp.attributes, **{k: v for k, v in extra.items() if v}}
    out = {
        "accessible name": _COUNTER.sub("", fp.name),
        "text": _COUNTER.sub("", fp.text),
        "label": _COUNTER.sub("", attrs.get("label", "")),
    }
    for key in _FIELDS:
        if key == "label":
            continue
        value = attrs.get(key, "")
        if key == "href" and value:
            parts = urlsplit(value)  # the origin can move between crawl and heal
            value = parts.path + (f"?{parts.query}" if parts.query else "")
        out[f"{key} attribute" if key == "name" else key] = value
    return {k: v.strip() for k, v in out.items() if v and v.strip()}


def contradiction(old: Fingerprint, new: Element | Fingerprint) -> str | None:
    """Why the candidate `new` does not mean what `old` meant, or None if nothing contradicts.

    `new` is a live element (its label and value are read from its attributes too) or a bare
    fingerprint."""
    if isinstance(new, Element):
        new_fp, extra = new.fingerprint, new.attributes
    else:
        new_fp, extra = new, {}
    if old.role and new_fp.role and old.role != new_fp.role:
        return f"role {new_fp.role} is not {old.role}"
    before, after = _fields(old, {}), _fields(new_fp, extra)
    old_words = {k: tokens(v) for k, v in before.items()}
    new_words = {k: tokens(v) for k, v in after.items()}
    old_all = {w for ws in old_words.values() for w in ws}
    new_all = {w for ws in new_words.values() for w in ws}
    for a, b in OPPOSITES:
        for x, y in ((a, b), (b, a)):
            if x in old_all and y in new_all and y not in old_all and x not in new_all:
                return f"opposite action: {x} ≠ {y}"
    for key in before.keys() & after.keys():
        was, now = _numbers(old_words[key]), _numbers(new_words[key])
        if was != now:
            return f"a different record: {key} {before[key]!r} ≠ {after[key]!r}"
    added = sorted((new_all - old_all) & DESTRUCTIVE)
    if added:
        return f"destructive word not in the original: {', '.join(added)}"
    return None
