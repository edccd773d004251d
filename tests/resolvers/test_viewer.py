"""``viewer``: the signed-in user's tenant and BUs, read under their own tenant context."""

from __future__ import annotations

import pytest

from resolvers.viewer import get_viewer
from services.identity import Principal
from tests.factories import make_tenant, next_id

pytestmark = pytest.mark.usefixtures("db")


async def test_signed_out_viewer_is_none() -> None:
    assert await get_viewer(None) is None


async def test_viewer_lists_the_users_business_units() -> None:
    t = await make_tenant("Aperture")
    child_a, _ = t.child_mids
    principal = Principal(
        tenant_id=t.tenant_id, mid=child_a, user_id=t.user.id, parent_mid=t.parent_mid
    )
    viewer = await get_viewer(principal)
    assert viewer is not None
    assert viewer.user.id == t.user.id
    assert viewer.tenant.tenant_id == t.tenant_id
    assert viewer.business_unit.mid == child_a
    assert {bu.mid for bu in viewer.available_business_units} == {t.parent_mid, *t.child_mids}


async def test_viewer_of_another_tenants_user_is_none() -> None:
    a, b = await make_tenant("BlackMesa"), await make_tenant("Combine")
    forged = Principal(tenant_id=a.tenant_id, mid=a.parent_mid, user_id=b.user.id)
    assert await get_viewer(forged) is None


async def test_viewer_in_a_bu_without_membership_is_none() -> None:
    t = await make_tenant("Vault")
    stray = Principal(tenant_id=t.tenant_id, mid=next_id(), user_id=t.user.id)
    assert await get_viewer(stray) is None
