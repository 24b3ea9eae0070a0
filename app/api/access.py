"""Who is calling: bearer API keys, kept only as SHA-256 hashes, each with a role.

``clinician`` and ``reviewer`` may ask and chat; ``maintainer`` may also upload and delete
documents. Keys come from a JSON keys file (``api.keys_file``) and/or ``api.keys``::

    {"keys": [{"name": "dr-lee", "role": "clinician", "sha256": "<64 hex>"}]}

``python -m app.api.access new --role clinician --name dr-lee`` prints a fresh key (give it to
the user) and the entry to store (the hash only). With ``api.auth`` off (loopback only) every
caller is the local maintainer.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sys
from dataclasses import dataclass
from typing import Literal

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field, ValidationError

from app.errors import AppError
from app.settings import APISettings

Role = Literal["clinician", "reviewer", "maintainer"]
ROLES: tuple[str, ...] = ("clinician", "reviewer", "maintainer")


class Unauthorized(AppError):
    status, code = 401, "unauthorized"
    headers = {"WWW-Authenticate": "Bearer"}


class Forbidden(AppError):
    status, code = 403, "forbidden"


@dataclass(frozen=True)
class Principal:
    name: str
    role: str


LOCAL = Principal("local", "maintainer")


class KeyEntry(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    role: Role
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="sha256 hex of the key; never the key itself")


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class Keyring:
    """Hash of a key → who holds it."""

    def __init__(self, entries: list[KeyEntry]):
        self._by_hash = {e.sha256: Principal(e.name, e.role) for e in entries}

    def __len__(self) -> int:
        return len(self._by_hash)

    def identify(self, key: str) -> Principal | None:
        return self._by_hash.get(hash_key(key))

    @classmethod
    def from_settings(cls, api: APISettings) -> "Keyring":
        entries: list[KeyEntry] = []
        if api.keys_file is not None:
            try:
                raw = json.loads(api.keys_file.read_text(encoding="utf-8"))
                items = raw.get("keys", []) if isinstance(raw, dict) else raw
                entries += [KeyEntry.model_validate(item) for item in items]
            except (OSError, ValueError, AttributeError, TypeError) as exc:
                raise ValueError(f"cannot read API keys file {api.keys_file}: {_short(exc)}") from None
        for item in filter(None, (part.strip() for part in (api.keys or "").split(","))):
            name, _, rest = item.partition(":")
            role, _, digest = rest.partition(":")
            try:
                entries.append(KeyEntry(name=name, role=role, sha256=digest.lower()))
            except ValidationError as exc:
                raise ValueError(f"api.keys entry for {name!r} must be 'name:role:sha256hex': {_short(exc)}") from None
        return cls(entries)


def _short(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
    return str(exc)


bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer <key>`.")


def caller(request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> Principal:
    """The authenticated caller (any role), counted against the per-key rate limit. A client
    address that presents too many unrecognised keys is refused for a while (app/api/limits.py)."""
    state = request.app.state
    if state.settings.api.auth == "off":
        principal = LOCAL
    else:
        client = request.client.host if request.client else "unknown"
        state.auth_failures.check(client)
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise Unauthorized("an API key is required: send `Authorization: Bearer <key>`")
        principal = state.keyring.identify(credentials.credentials)
        if principal is None:
            state.auth_failures.failed(client)
            raise Unauthorized("the API key is not recognised")
    request.state.principal = principal
    state.limiter.hit(principal.name)
    return principal


def maintainer(who: Principal = Depends(caller)) -> Principal:
    if who.role != "maintainer":
        raise Forbidden(f"the {who.role} role cannot change documents; a maintainer key is needed")
    return who


def new_key(role: str, name: str) -> tuple[str, dict]:
    key = "crit_" + secrets.token_urlsafe(32)
    return key, KeyEntry(name=name, role=role, sha256=hash_key(key)).model_dump()


def main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m app.api.access", description="Make an API key.")
    sub = parser.add_subparsers(dest="command", required=True)
    make = sub.add_parser("new", help="print a new key and the keys-file entry holding its hash")
    make.add_argument("--role", choices=ROLES, required=True)
    make.add_argument("--name", required=True)
    args = parser.parse_args(argv)
    key, entry = new_key(args.role, args.name)
    print(f"key (give to {args.name}; it is not stored): {key}")
    print(f"keys-file entry: {json.dumps(entry)}")
    print(f"or CRITERION_API__KEYS entry: {entry['name']}:{entry['role']}:{entry['sha256']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
