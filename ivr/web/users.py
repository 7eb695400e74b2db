"""The operator page's users: a JSON file of names, argon2 password hashes and each user's municipality.

A user belongs to one municipality (`tenant`) and sees only its data, or is an admin and sees all. The file is
written atomically and only readable by its owner; `ivr web add-user` adds or replaces a user.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD_LENGTH = 10
_hasher = PasswordHasher()
# Verifying against this when the user does not exist takes as long as for a real user: no timing oracle.
_DUMMY_HASH = _hasher.hash("no such user, no such password")


class UserError(ValueError):
    """A user name, password or users file that cannot be used."""


@dataclass(frozen=True)
class User:
    name: str
    tenant: str | None  # None: an admin, who sees every municipality

    @property
    def is_admin(self) -> bool:
        return self.tenant is None


class UserStore:
    def __init__(self, path: Path) -> None:
        self.path = path

    def _read(self) -> dict[str, dict[str, str | None]]:
        if not self.path.exists():
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as error:
            raise UserError(f"{self.path}: cannot read the users file ({error}); fix or remove it") from None
        if not isinstance(data, dict):
            raise UserError(f"{self.path}: expected an object of users; fix or remove the file")
        return data

    def add(self, name: str, password: str, tenant: str | None) -> User:
        """Adds or replaces `name`; `tenant` None makes an admin."""
        if not _NAME.match(name):
            raise UserError(f"user name {name!r}: use 2-64 lower-case letters, digits, '.', '_' or '-'")
        if len(password) < MIN_PASSWORD_LENGTH:
            raise UserError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
        users = self._read()
        users[name] = {"password_hash": _hasher.hash(password), "tenant": tenant}
        self._write(users)
        return User(name, tenant)

    def authenticate(self, name: str, password: str) -> User | None:
        entry = self._read().get(name)
        stored = str(entry.get("password_hash")) if entry else _DUMMY_HASH
        try:
            _hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return None
        return User(name, entry.get("tenant")) if entry else None

    def get(self, name: str) -> User | None:
        entry = self._read().get(name)
        return User(name, entry.get("tenant")) if entry else None

    def _write(self, users: dict[str, dict[str, str | None]]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as fp:
            json.dump(users, fp, indent=2, sort_keys=True)
        temporary.replace(self.path)
