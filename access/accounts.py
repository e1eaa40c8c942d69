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
    max_failures: int = 5             # failed logins for one account from one client …
    lockout_minutes: int = 15         # … within this window stop that client trying that account
    client_max_failures: int = 20     # failed logins from one client on any accounts → that client waits
    account_max_failures: int = 30    # failed logins for one account from all clients → the account waits
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
                          int(s.get("lockout_minutes", 15)), int(s.get("client_max_failures", 20)),
                          int(s.get("account_max_failures", 30)), bool(s.get("demo_mode", False)),
                          dict(raw.get("demo_passwords", {})), dict(raw.get("oidc_users", {})))


def user_of(cfg: AccountsConfig, username: str) -> User:
    name, role, streets, _ = cfg.accounts[username]
    return User(username, name, cfg.roles[role], streets)


def verify(cfg: AccountsConfig, username: str, password: str) -> User | None:
    """The user when the password matches its Argon2 hash; None otherwise (same work for unknown names).
    Outside demo mode an account still using its published demo password does not log in (see demo_login)."""
    entry = cfg.accounts.get(username)
    try:
        _HASHER.verify(entry[3] if entry else _DUMMY, password)
    except (VerificationError, InvalidHashError):
        return None
    if entry and demo_login(cfg, username, password):
        return None
    return user_of(cfg, username) if entry else None


DEMO_DISABLED = ("演示模式已关闭：演示账户的公开密码不能再登录。请管理员在服务器上为该账户设置新密码（见 data/accounts.toml "
                 "开头的说明），并删除 [demo_passwords]。")


def demo_login(cfg: AccountsConfig, username: str, password: str) -> bool:
    """True when demo mode is off and this is the account's published demo password: a demo account left in place."""
    return not cfg.demo_mode and password == cfg.demo_passwords.get(username)


# --------------------------------------------------------------------------------------------- login throttling
# Three limits, all counted from the audit log over the last lockout_minutes, none permanent:
# - one client trying one account (max_failures): that client stops trying that account;
# - one client trying any accounts (client_max_failures): no guessing across accounts from one place;
# - one account from everywhere (account_max_failures): a distributed guess; this one locks the account for all,
#   so a console unlock (`python cli.py unlock --user admin`) lifts it for lockout_minutes — the other two limits
#   still hold the attacker's clients back while the rightful user logs in from their own.

def throttled(cfg: AccountsConfig, username: str, client: str, store_path=None) -> str | None:
    """The Chinese reason this attempt is refused before the password is checked, or None."""
    from . import audit

    n = audit.login_failures(username, client, cfg.lockout_minutes, store_path=store_path)
    wait = f"请 {cfg.lockout_minutes} 分钟后再试。"
    if n["client"] >= cfg.client_max_failures:
        return "本机登录失败次数过多，已暂停登录，" + wait
    if n["pair"] >= cfg.max_failures:
        return "该账户连续登录失败次数过多，已临时锁定，" + wait
    if n["account"] >= cfg.account_max_failures and not n["unlocked"]:
        return ("该账户在多处登录失败次数过多，已临时锁定，" + wait
                + f"管理员可在服务器上运行 python cli.py unlock --user {username} 解除。")
    return None


def unlock(username: str, store_path=None) -> None:
    """From the server console: let this account log in again now (records an 'unlock' in the audit log)."""
    from . import audit

    audit.record("unlock", username, None, {"via": "console"}, True, store_path=store_path)


def hash_password(password: str) -> str:
    return _HASHER.hash(password)
