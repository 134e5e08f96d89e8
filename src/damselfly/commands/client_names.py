"""Client-name rules shared by HELLO SETNAME and CLIENT SETNAME."""
from __future__ import annotations

from ..errors import CommandError


def validate_name(name: bytes) -> None:
    """Redis refuses spaces, newlines and non-printable characters in names."""
    for c in name:
        if c < 33 or c > 126:
            raise CommandError("ERR Client names cannot contain spaces, newlines or special characters.")
