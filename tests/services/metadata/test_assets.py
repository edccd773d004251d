"""The one naming function for Quarry's own MCE assets, and other tools' leftovers."""

from __future__ import annotations

import pytest

from services.metadata.assets import (
    QuarryAssetKind,
    is_foreign_leftover,
    is_quarry_asset,
    quarry_asset_name,
)


def test_names_are_recognised_and_fit_mces_query_key_limit() -> None:
    token = "a" * 28
    names = [
        quarry_asset_name(QuarryAssetKind.FOLDER),
        quarry_asset_name(QuarryAssetKind.QUERY_FOLDER),
        quarry_asset_name(QuarryAssetKind.SHELL_DE, token),
        quarry_asset_name(QuarryAssetKind.SHELL_QD, token),
    ]
    assert len(set(names)) == 4
    assert all(is_quarry_asset(name) for name in names)
    assert len(quarry_asset_name(QuarryAssetKind.SHELL_QD, token)) <= 36
    assert quarry_asset_name(QuarryAssetKind.SHELL_DE, "1a2b") != quarry_asset_name(
        QuarryAssetKind.SHELL_DE, "1a2c"
    )


@pytest.mark.parametrize(
    ("kind", "token"),
    [
        (QuarryAssetKind.SHELL_DE, None),
        (QuarryAssetKind.SHELL_QD, ""),
        (QuarryAssetKind.SHELL_QD, "a" * 29),
        (QuarryAssetKind.SHELL_DE, "has space"),
        (QuarryAssetKind.SHELL_DE, "semi;colon"),
        (QuarryAssetKind.FOLDER, "x"),
    ],
)
def test_bad_tokens_are_refused(kind: QuarryAssetKind, token: str | None) -> None:
    with pytest.raises(ValueError):
        quarry_asset_name(kind, token)


@pytest.mark.parametrize("name", ["Orders", "", None, "qry__lowercase", "My QRY__ copy"])
def test_user_names_are_not_quarry_assets(name: str | None) -> None:
    assert not is_quarry_asset(name)


@pytest.mark.parametrize(
    ("name", "description", "leftover"),
    [
        ("QueryStudioResults at 2024-05-01 10:00:00", None, True),
        ("querystudioresults at 1/2/2024", None, True),
        ("QPP_Results_1a2b3c4d", None, True),
        ("QPP_Query_42", None, True),
        ("Daily Query", "Query created by Query Studio", True),
        ("QueryStudioResults", None, False),
        ("Orders", "My results at noon", False),
        (None, None, False),
    ],
)
def test_other_tools_leftovers_are_flagged(
    name: str | None, description: str | None, leftover: bool
) -> None:
    assert is_foreign_leftover(name, description=description) is leftover
