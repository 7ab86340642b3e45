"""The one error type a user can act on; the front doors turn it into one line and exit 2.

Anything that is not a `UserError` reaching a front door is a bug in qaforge: exit 3, one
line on screen, the traceback in `$QAFORGE_HOME/logs/`.
"""

from __future__ import annotations

import re

_URL_PASSWORD = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<user>[^:/@\s]*):[^@/\s]*@", re.I)


class UserError(Exception):
    """Bad input or an environment problem (unreachable app or service, failed login, ...)."""


def mask_url(text: str) -> str:
    """`scheme://user:secret@host` → `scheme://user:***@host`, anywhere in `text`."""
    return _URL_PASSWORD.sub(lambda m: f"{m['scheme']}{m['user']}:***@", text)
