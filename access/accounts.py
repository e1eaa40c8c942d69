"""Local accounts with Argon2id password hashes, roles and their scopes, from data/accounts.toml."""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "data" / "accounts.toml"
_HASHER = PasswordHasher()
# A hash to verify against when the username is unknown, so a wrong name costs as long as a wrong password.
_DUMMY = _HASHER.hash("unknown-user-timing-equaliser")


@dataclass(frozen=True)
class Role:
    id: str
    label: str
    all_streets: bool         # False: the account's own streets only
    records: bool             # may see record lists (not only aggregates)
    personal: str             # "none" (hidden) · "masked" · "full"
    admin: bool               # imports, accounts, the audit log
    publish: bool = False     # may publish (发布) a period's ranking: 考核员, and every admin

    @property
    def can_publish(self) -> bool:
        return self.admin or self.publish

    @property
    def small_counts_exact(self) -> bool:
        """Relief counts under 5 below street level are shown exactly only to roles with personal data."""
        return self.personal == "full"


@dataclass(frozen=True)
class User:
    username: str
    name: str
    role: Role
    streets: tuple = ()

    @property
    def scope(self) -> tuple | None:
        """The streets this user may see: None means all."""
        return None if self.role.all_streets else tuple(self.streets)


@dataclass(frozen=True)
class AccountsConfig:
    roles: dict
    accounts: dict            # username → (name, role id, streets, password hash)
    timeout_minutes: int = 30
    max_failures: int = 5
    lockout_minutes: int = 15
    demo_mode: bool = False
    demo_passwords: dict = field(default_factory=dict)
    oidc_users: dict = field(default_factory=dict)   # e-mail → username, for st.login identities


def load(path: str | os.PathLike | None = None) -> AccountsConfig:
    p = Path(path or os.environ.get("GRIDGOV_ACCOUNTS", DEFAULT_PATH))
    raw = tomllib.loads(p.read_text(encoding="utf-8"))
    roles = {rid: Role(rid, r["label"], bool(r.get("all_streets", False)), bool(r.get("records", True)),
                       r.get("personal", "none"), bool(r.get("admin", False)),
                       bool(r.get("publish", False)))
             for rid, r in raw.get("roles", {}).items()}
    accounts = {}
    for a in raw.get("accounts", []):
        if a["role"] not in roles:
            raise ValueError(f"account {a['username']}: unknown role {a['role']}")
        accounts[a["username"]] = (a.get("name", a["username"]), a["role"], tuple(a.get("streets", [])),
                                   a["password_hash"])
    s = raw.get("session", {})
    return AccountsConfig(roles, accounts, int(s.get("timeout_minutes", 30)), int(s.get("max_failures", 5)),
                          int(s.get("lockout_minutes", 15)), bool(s.get("demo_mode", False)),
                          dict(raw.get("demo_passwords", {})), dict(raw.get("oidc_users", {})))


def user_of(cfg: AccountsConfig, username: str) -> User:
    name, role, streets, _ = cfg.accounts[username]
    return User(username, name, cfg.roles[role], streets)


def verify(cfg: AccountsConfig, username: str, password: str) -> User | None:
    """The user when the password matches its Argon2 hash; None otherwise (same work for unknown names)."""
    entry = cfg.accounts.get(username)
    try:
        _HASHER.verify(entry[3] if entry else _DUMMY, password)
    except (VerificationError, InvalidHashError):
        return None
    return user_of(cfg, username) if entry else None


def hash_password(password: str) -> str:
    return _HASHER.hash(password)
