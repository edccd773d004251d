"""API tokens in the domain: shape, hashing, validation, listing, revoking, the audit trail."""

from __future__ import annotations

import base64
import json
import re
import uuid

import asyncpg
import pytest

from models import ApiToken, AuditEvent, SupportToken, TenantRepository, TokenScope
from models.lookups import find_api_token
from services.api_tokens import (
    MAX_ACTIVE_TOKENS_PER_USER,
    TokenKind,
    TooManyTokens,
    hash_token,
    issue_api_token,
    list_api_tokens,
    revoke_api_token,
    token_kind,
    token_principal,
)
from services.audit import SYSTEM_ACTOR, Actor, ActorType
from services.errors import InvalidInput, NotFound
from tests.auth_helpers import new_api_token
from tests.factories import TenantFixture, make_tenant, next_id

pytestmark = pytest.mark.usefixtures("db")


async def _audit(tenant: TenantFixture, action: str) -> list[AuditEvent]:
    return (
        await TenantRepository(tenant.context())
        .of(AuditEvent)
        .list(action=action, order_by=("id",))
    )


async def test_a_token_is_a_prefixed_256_bit_secret_stored_as_its_hash(
    admin_conn: asyncpg.Connection,
) -> None:
    tenant = await make_tenant("Shape")
    issued = await new_api_token(tenant)
    assert re.fullmatch(r"qry_[A-Za-z0-9_-]{43}", issued.secret)
    assert token_kind(issued.secret) is TokenKind.API
    row = await admin_conn.fetchrow("SELECT * FROM api_tokens WHERE id = $1", issued.token.id)
    assert row["token_hash"] == hash_token(issued.secret)
    assert all(issued.secret not in str(value) for value in row.values())
    assert issued.secret[4:] not in row["token_hash"]


def test_token_kinds() -> None:
    assert token_kind("qrs_" + "a" * 43) is TokenKind.SUPPORT
    for bad in ("", "qry_", "qry_" + "a" * 42, "QRY_" + "a" * 43, "qry_" + "a" * 43 + "\n"):
        assert token_kind(bad) is None


@pytest.mark.parametrize(
    ("name", "days", "field"),
    [
        ("", 30, "name"),
        ("   ", 30, "name"),
        ("x" * 101, 30, "name"),
        ("nul\x00byte", 30, "name"),
        ("line\nbreak", 30, "name"),
        ("ok", 0, "expiresInDays"),
        ("ok", -5, "expiresInDays"),
        ("ok", 366, "expiresInDays"),
    ],
)
async def test_invalid_input_is_refused(name: str, days: int, field: str) -> None:
    tenant = await make_tenant("Invalid")
    with pytest.raises(InvalidInput) as caught:
        await issue_api_token(
            tenant.context(),
            user_id=tenant.user.id,
            mid=tenant.parent_mid,
            name=name,
            scope=TokenScope.READ,
            expires_in_days=days,
            max_days=365,
            actor=SYSTEM_ACTOR,
        )
    assert caught.value.field == field
    assert await TenantRepository(tenant.context()).of(ApiToken).count() == 0


async def test_the_name_is_trimmed_and_may_be_100_characters() -> None:
    tenant = await make_tenant("Trim")
    issued = await new_api_token(tenant, name=f"  {'n' * 100}  ")
    assert issued.token.name == "n" * 100


async def test_only_for_a_bu_the_user_belongs_to() -> None:
    tenant = await make_tenant("Member")
    with pytest.raises(NotFound):
        await new_api_token(tenant, mid=next_id())


async def test_active_tokens_per_user_are_bounded() -> None:
    tenant = await make_tenant("Bounded")
    for n in range(MAX_ACTIVE_TOKENS_PER_USER):
        await new_api_token(tenant, name=f"t{n}")
    with pytest.raises(TooManyTokens) as caught:
        await new_api_token(tenant, name="one-too-many")
    assert caught.value.code == "LIMIT_REACHED"
    first = await list_api_tokens(tenant.context(), user_id=tenant.user.id, first=1, after=None)
    await revoke_api_token(
        tenant.context(),
        user_id=tenant.user.id,
        token_id=str(first.tokens[0].id),
        actor=SYSTEM_ACTOR,
    )
    await new_api_token(tenant, name="after-revoking")  # revoking frees a slot


async def test_creation_is_audited_without_the_secret() -> None:
    tenant = await make_tenant("AuditCreate")
    issued = await new_api_token(tenant, scope="read_write", name="deploys")
    [event] = await _audit(tenant, "api_token.created")
    assert event.target == f"api_token:{issued.token.id}"
    assert event.details["scope"] == "read_write" and event.details["name"] == "deploys"
    assert issued.secret not in json.dumps(event.details)
    assert hash_token(issued.secret) not in json.dumps(event.details)


async def test_list_pages_newest_first_with_opaque_cursors() -> None:
    tenant = await make_tenant("Pages")
    created = [await new_api_token(tenant, name=f"t{n}") for n in range(5)]
    ctx, user = tenant.context(), tenant.user.id
    page1 = await list_api_tokens(ctx, user_id=user, first=2, after=None)
    page2 = await list_api_tokens(ctx, user_id=user, first=2, after=page1.tokens[-1].cursor)
    page3 = await list_api_tokens(ctx, user_id=user, first=2, after=page2.tokens[-1].cursor)
    names = [t.name for p in (page1, page2, page3) for t in p.tokens]
    assert names == [f"t{n}" for n in reversed(range(5))]
    assert (page1.has_next_page, page2.has_next_page, page3.has_next_page) == (True, True, False)
    assert {t.id for t in page1.tokens + page2.tokens + page3.tokens} == {
        c.token.id for c in created
    }


async def test_list_shows_only_the_users_own_tokens() -> None:
    tenant, other_tenant = await make_tenant("Own"), await make_tenant("Other")
    mine = await new_api_token(tenant)
    await new_api_token(other_tenant)
    page = await list_api_tokens(tenant.context(), user_id=tenant.user.id, first=10, after=None)
    assert [t.id for t in page.tokens] == [mine.token.id]
    foreign = await list_api_tokens(
        tenant.context(), user_id=other_tenant.user.id, first=10, after=None
    )
    assert foreign.tokens == []  # another tenant's user: RLS hides the rows


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode()


@pytest.mark.parametrize(
    "cursor",
    [
        "!!!",
        "é",
        _b64(b"not json"),
        _b64(b'{"a": 1}'),
        _b64(b'["2024-01-01T00:00:00", "not-a-uuid"]'),
        _b64(json.dumps(["2024-01-01T00:00:00", str(uuid.uuid4())]).encode()),  # naive time
        _b64(b"[1, 2, 3]"),
    ],
)
async def test_a_foreign_cursor_is_invalid_input(cursor: str) -> None:
    tenant = await make_tenant("Cursor")
    with pytest.raises(InvalidInput) as caught:
        await list_api_tokens(tenant.context(), user_id=tenant.user.id, first=5, after=cursor)
    assert caught.value.field == "after"


async def test_revoke_once_audits_once() -> None:
    tenant = await make_tenant("Revoke")
    issued = await new_api_token(tenant)
    actor = Actor(ActorType.USER, str(tenant.user.id))
    token, revoked_now = await revoke_api_token(
        tenant.context(), user_id=tenant.user.id, token_id=str(issued.token.id), actor=actor
    )
    assert revoked_now and token.revoked_at is not None
    again, revoked_again = await revoke_api_token(
        tenant.context(), user_id=tenant.user.id, token_id=str(issued.token.id), actor=actor
    )
    assert not revoked_again and again.revoked_at == token.revoked_at
    events = await _audit(tenant, "api_token.revoked")
    assert [e.actor_id for e in events] == [str(tenant.user.id)]
    record = await find_api_token(hash_token(issued.secret))
    assert record is not None and await token_principal(record) is None


@pytest.mark.parametrize("token_id", ["not-a-uuid", "", "' OR 1=1 --", str(uuid.uuid4())])
async def test_revoking_what_is_not_yours_is_not_found(token_id: str) -> None:
    tenant = await make_tenant("NotYours")
    with pytest.raises(NotFound):
        await revoke_api_token(
            tenant.context(), user_id=tenant.user.id, token_id=token_id, actor=SYSTEM_ACTOR
        )


async def test_another_users_or_tenants_token_is_not_found_and_untouched() -> None:
    tenant, other = await make_tenant("Mine"), await make_tenant("Theirs")
    theirs = await new_api_token(other)
    with pytest.raises(NotFound) as caught:
        await revoke_api_token(
            tenant.context(),
            user_id=tenant.user.id,
            token_id=str(theirs.token.id),
            actor=SYSTEM_ACTOR,
        )
    assert caught.value.message == "No such API token."
    row = await TenantRepository(other.context()).of(ApiToken).get_or_none(id=theirs.token.id)
    assert row is not None and row.revoked_at is None


async def test_principal_of_read_and_read_write_tokens() -> None:
    tenant = await make_tenant("Scopes")
    child = tenant.child_mids[0]
    read = await new_api_token(tenant, scope="read", mid=child)
    write = await new_api_token(tenant, scope="read_write")
    read_record = await find_api_token(hash_token(read.secret))
    write_record = await find_api_token(hash_token(write.secret))
    assert read_record is not None and write_record is not None
    read_principal = await token_principal(read_record)
    write_principal = await token_principal(write_record)
    assert read_principal is not None and write_principal is not None
    assert read_principal.read_only and read_principal.scopes == {"read"}
    assert (read_principal.mid, read_principal.parent_mid) == (child, tenant.parent_mid)
    assert read_principal.mce_user_id == tenant.user.mce_user_id
    assert not write_principal.read_only and write_principal.scopes == {"read", "write"}
    assert write_principal.api_token_id == write.token.id


async def test_the_app_role_cannot_create_support_tokens() -> None:
    with pytest.raises(Exception, match=r"(?i)permission denied"):
        await SupportToken.create(id=uuid.uuid4(), name="sneaky", token_hash="0" * 64)
