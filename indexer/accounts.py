"""People who use the review app and the API: their roles and their API tokens.

A token is random, shown once when issued, and only its SHA-256 is stored, so a
copy of the database gives no one a way in. Roles:

- ``reviewer``: works the review queue, confirms or dismisses.
- ``investigator``: searches, saves searches, follows sellers.
- ``platform``: a platform's trust and safety team; sees its own platform only.
- ``admin``: manages accounts.
"""

from __future__ import annotations

import builtins
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, get_args

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from indexer.audit import AuditLog
from indexer.errors import StoreError
from indexer.models import UserRow

__all__ = [
    "ROLES",
    "AccountError",
    "DuplicateUserError",
    "Role",
    "UnknownUserError",
    "User",
    "UserStore",
    "hash_token",
]

Role = Literal["reviewer", "investigator", "platform", "admin"]
ROLES: tuple[str, ...] = get_args(Role)
# Lower case, so Alice and alice cannot be two accounts; @ . _ - for e-mail-like names.
_USERNAME = re.compile(r"[a-z0-9][a-z0-9._@-]{0,199}")
_TOKEN_PREFIX = "wwt_"  # makes a leaked token easy to recognise in logs and pastes
_MAX_TOKEN_CHARS = 200


class AccountError(StoreError):
    """An account cannot be created or changed as asked: a bad username, role or platform."""


class DuplicateUserError(AccountError):
    """`UserStore.create` was given a username that is already taken."""


class UnknownUserError(AccountError):
    """No account has the username given."""


@dataclass(frozen=True, slots=True)
class User:
    id: int
    username: str
    role: Role
    platform: str | None
    display_name: str | None
    active: bool
    created_at: datetime

    @classmethod
    def from_row(cls, row: UserRow) -> User:
        created = row.created_at
        if created.tzinfo is None:  # SQLite hands back naive datetimes; all are UTC
            created = created.replace(tzinfo=UTC)
        return cls(
            id=row.id,
            username=row.username,
            role=row.role,  # type: ignore[arg-type]
            platform=row.platform,
            display_name=row.display_name,
            active=row.active,
            created_at=created,
        )


def hash_token(token: str) -> str:
    """What the store keeps of a token: its SHA-256, in hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _username(value: str) -> str:
    name = value.strip().lower() if isinstance(value, str) else ""
    if not _USERNAME.fullmatch(name):
        raise AccountError(
            "a username is 1 to 200 characters: letters, digits and . _ @ -, "
            f"starting with a letter or digit; not {str(value)[:60]!r}"
        )
    return name


def _platform(role: str, platform: str | None) -> str | None:
    platform = (platform or "").strip() or None
    if role == "platform" and platform is None:
        raise AccountError("a platform account needs the platform it belongs to")
    if role != "platform" and platform is not None:
        raise AccountError(f"only platform accounts belong to a platform, not {role} accounts")
    if platform is not None and len(platform) > 100:
        raise AccountError("a platform name is at most 100 characters")
    return platform


class UserStore:
    """Accounts inside one session; the caller commits. Changes are audited."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def create(
        self,
        username: str,
        role: str,
        platform: str | None = None,
        display_name: str | None = None,
        *,
        actor: str | None = None,
    ) -> User:
        """A new, active account without a token (see `issue_token`)."""
        name = _username(username)
        if role not in ROLES:
            raise AccountError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
        platform = _platform(role, platform)
        if self._row(name) is not None:
            raise DuplicateUserError(f"username {name!r} is taken")
        row = UserRow(
            username=name,
            role=role,
            platform=platform,
            display_name=(display_name or "").strip()[:300] or None,
            active=True,
            created_at=datetime.now(UTC),
        )
        self.session.add(row)
        try:
            self.session.flush()
        except IntegrityError as exc:  # created by someone else since we looked
            raise DuplicateUserError(f"username {name!r} is taken") from exc
        AuditLog(self.session).record(
            "user.create",
            actor=actor,
            target_type="user",
            target_id=name,
            details={"role": role, "platform": platform},
        )
        return User.from_row(row)

    def get(self, username: str) -> User:
        return User.from_row(self._existing(username))

    def issue_token(self, username: str, *, actor: str | None = None) -> str:
        """A new API token for the account, replacing any earlier one; shown only now."""
        row = self._existing(username)
        if not row.active:
            raise AccountError(f"account {row.username!r} is deactivated")
        token = _TOKEN_PREFIX + secrets.token_urlsafe(32)
        row.token_sha256 = hash_token(token)
        self.session.flush()
        AuditLog(self.session).record(
            "user.token", actor=actor, target_type="user", target_id=row.username
        )
        return token

    def authenticate(self, token: str) -> User | None:
        """The active account holding this token, or None."""
        if not isinstance(token, str) or not 0 < len(token) <= _MAX_TOKEN_CHARS:
            return None
        row = self.session.scalars(
            select(UserRow).where(
                UserRow.token_sha256 == hash_token(token), UserRow.active.is_(True)
            )
        ).first()
        return User.from_row(row) if row is not None else None

    def deactivate(self, username: str, *, actor: str | None = None) -> User:
        """Refuse the account from now on; its token is forgotten."""
        row = self._existing(username)
        row.active = False
        row.token_sha256 = None
        self.session.flush()
        AuditLog(self.session).record(
            "user.deactivate", actor=actor, target_type="user", target_id=row.username
        )
        return User.from_row(row)

    def list(self, *, active_only: bool = False) -> builtins.list[User]:
        """Accounts by username."""
        stmt = select(UserRow).order_by(UserRow.username)
        if active_only:
            stmt = stmt.where(UserRow.active.is_(True))
        return [User.from_row(row) for row in self.session.scalars(stmt)]

    def _row(self, username: str) -> UserRow | None:
        return self.session.scalars(select(UserRow).where(UserRow.username == username)).first()

    def _existing(self, username: str) -> UserRow:
        name = username.strip().lower() if isinstance(username, str) else ""
        row = self._row(name) if name else None
        if row is None:
            raise UnknownUserError(f"no account named {str(username)[:60]!r}")
        return row
