"""SQL toolkit use-cases: who may use them, and which arguments are refused (and named)."""

from __future__ import annotations

import uuid

import pytest

from resolvers.sql import format_sql, sql_completions, validate_sql
from services.authn import ANONYMOUS, Authentication, AuthMethod, SupportPrincipal
from services.errors import InvalidInput, NotAuthenticated, PermissionDenied
from services.identity import Principal, PrincipalKind
from services.sql_toolkit import MAX_COMPLETIONS, Purpose

READ_TOKEN = Authentication(
    method=AuthMethod.BEARER,
    principal=Principal(
        tenant_id=10_001,
        mid=20_002,
        parent_mid=20_001,
        user_id=uuid.uuid4(),
        kind=PrincipalKind.API_TOKEN,
        read_only=True,
        api_token_id=uuid.uuid4(),
    ),
)
SUPPORT = Authentication(
    method=AuthMethod.BEARER,
    support=SupportPrincipal(token_id=uuid.uuid4(), name="support", expires_at=None),
)


async def test_a_read_only_token_may_use_every_query() -> None:
    analysis = await validate_sql(
        READ_TOKEN, sql="SELECT JobID FROM _Job", purpose=Purpose.QUERY_ACTIVITY
    )
    assert analysis.valid
    assert [c.name for c in analysis.columns] == ["JobID"]
    assert (await format_sql(READ_TOKEN, sql="select 1 as one")).sql.startswith("SELECT")
    completions = await sql_completions(READ_TOKEN, sql="SELECT * FROM _J", offset=16, first=5)
    assert "_Job" in [c.label for c in completions]


@pytest.mark.parametrize(
    ("auth", "refusal"), [(ANONYMOUS, NotAuthenticated), (SUPPORT, PermissionDenied)]
)
async def test_without_a_tenant_principal_nothing_runs(
    auth: Authentication, refusal: type[Exception]
) -> None:
    with pytest.raises(refusal):
        await validate_sql(auth, sql="SELECT 1 AS one", purpose=Purpose.RUN)
    with pytest.raises(refusal):
        await format_sql(auth, sql="SELECT 1 AS one")
    with pytest.raises(refusal):
        await sql_completions(auth, sql="SELECT ", offset=7, first=10)


async def test_authorisation_comes_before_argument_checks() -> None:
    """A signed-out caller learns nothing about the arguments, only that it must sign in."""
    with pytest.raises(NotAuthenticated):
        await sql_completions(ANONYMOUS, sql="", offset=-1, first=0)


@pytest.mark.parametrize("first", [0, -1, MAX_COMPLETIONS + 1, 10**9])
async def test_first_is_bounded(first: int) -> None:
    with pytest.raises(InvalidInput) as caught:
        await sql_completions(READ_TOKEN, sql="SELECT ", offset=7, first=first)
    assert caught.value.field == "first"


@pytest.mark.parametrize("offset", [-1, 8, 10**9])
async def test_offset_must_be_a_place_in_the_text(offset: int) -> None:
    with pytest.raises(InvalidInput) as caught:
        await sql_completions(READ_TOKEN, sql="SELECT ", offset=offset, first=10)
    assert caught.value.field == "offset"


async def test_the_bounds_themselves_are_accepted() -> None:
    sql = "SELECT  FROM _Sent"
    cursor = len("SELECT ")
    assert len(await sql_completions(READ_TOKEN, sql=sql, offset=cursor, first=1)) == 1
    many = await sql_completions(READ_TOKEN, sql=sql, offset=cursor, first=MAX_COMPLETIONS)
    assert 1 < len(many) <= MAX_COMPLETIONS
    for offset in (0, len(sql)):
        await sql_completions(READ_TOKEN, sql=sql, offset=offset, first=MAX_COMPLETIONS)
