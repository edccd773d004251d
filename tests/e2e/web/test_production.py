"""The road to production in a real browser, inside the framed stand-in MCE page, against the
whole stack and the simulator: build a target DE from a join query (fix a field the wizard
flags, a name MCE would refuse), create it; a pre-flight error fixed from its place in the SQL,
then a probe's findings on the seeded data; deploy with a new automation, run it in the
simulator and preview the target's rows from the sidebar; deploy to three BUs with one failing
(a fault rule for that BU), retry it; edit the activity through the simulator's SOAP API, roll
back, see the drift as a SQL diff and overwrite it. No CSP violation, console error or serious
axe violation on any of these screens; a screenshot of each in docs/web/."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any
from xml.sax.saxutils import escape

import httpx
import pytest
from playwright.sync_api import Locator, Playwright
from playwright.sync_api import expect as expect_that

from tests.e2e.app_process import ROOT
from tests.e2e.web.conftest import WebStack
from tests.e2e.web.pages import AppPage, signed_in_app
from tests.e2e.web.test_editor import type_sql
from tests.simulator.soap_helpers import SoapClient, obj

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

AXE_SOURCE = ROOT / "web" / "app" / "node_modules" / "axe-core" / "axe.min.js"

_GRAPHQL = """async ([query, variables]) => {
  const s = await (await fetch('/api/auth/session')).json();
  const r = await fetch('/api/graphql', {method: 'POST', headers: {
    'content-type': 'application/json', 'x-csrf-token': s.csrfToken},
    body: JSON.stringify({query, variables})});
  return await r.json();
}"""

JOIN_SQL = (
    "SELECT o.OrderID, o.Amount, s.SubscriberKey, s.EmailAddress, NULL AS GiftNote\n"
    "FROM Orders o\nJOIN Subscribers s ON s.SubscriberKey = o.SubscriberKey"
)
WRONG_COLUMN_SQL = (
    "SELECT SignupKey AS MemberKey, Email, FullName, Country AS Region, 'Gold' AS Tier\n"
    "FROM [Preflight Signups]"
)
OPTED_IN_SQL = "SELECT SubscriberKey, EmailAddress FROM Subscribers WHERE OptIn = 1"


def graphql(app_page: AppPage, query: str, **variables: Any) -> dict[str, Any]:
    """A GraphQL request from inside the app's frame, as the signed-in browser."""
    body = app_page.frame.evaluate(_GRAPHQL, [query, variables])
    assert not body.get("errors"), body
    data: dict[str, Any] = body["data"]
    return data


def wait_for_data_extensions(app_page: AppPage, *names: str, timeout_s: float = 60) -> None:
    """Until the current BU's metadata cache holds every DE named (a sync landed)."""
    aliases = " ".join(f'd{i}: dataExtension(name: "{n}") {{ name }}' for i, n in enumerate(names))
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if all(graphql(app_page, f"{{ {aliases} }}").values()):
            return
        time.sleep(0.4)
    raise AssertionError(f"the metadata sync never brought {names}")


def business_units(app_page: AppPage) -> dict[str, str]:
    """The viewer's BUs by role: parent, us, eu, qa."""
    units = graphql(app_page, "{ viewer { availableBusinessUnits { mid name parentMid } } }")
    found: dict[str, str] = {}
    for unit in units["viewer"]["availableBusinessUnits"]:
        name = unit["name"]
        role = (
            "parent"
            if unit["parentMid"] is None
            else "us"
            if name.endswith("Marketing US")
            else "eu"
            if name.endswith("Marketing EU")
            else "qa"
            if name.endswith("QA Sandbox")
            else name
        )
        found[role] = unit["mid"]
    return found


def sync_business_unit(app_page: AppPage, mid: str, marker: str) -> None:
    """Move the session to ``mid``, sync its metadata and wait until ``marker`` is cached."""
    switched = graphql(
        app_page,
        "mutation ($mid: String!) {"
        " switchBusinessUnit(input: {mid: $mid}) { userErrors { code } } }",
        mid=mid,
    )
    assert switched["switchBusinessUnit"]["userErrors"] == []
    refreshed = graphql(app_page, "mutation { refreshMetadata { userErrors { code } } }")
    assert refreshed["refreshMetadata"]["userErrors"] == []
    wait_for_data_extensions(app_page, marker)


def serious_axe_violations(app_page: AppPage, selector: str = "dialog[open]") -> list[str]:
    """axe-core's serious and critical violations within ``selector`` (evaluated through the
    DevTools protocol, so the page's CSP is not asked to run it)."""
    frame = app_page.frame
    if not frame.evaluate("() => typeof window.axe === 'object'"):
        frame.evaluate(AXE_SOURCE.read_text())
    results = frame.evaluate(
        """async (selector) => {
          const found = await window.axe.run(
            {include: Array.from(document.querySelectorAll(selector)).map((e) => [e])},
            {resultTypes: ['violations']});
          return found.violations
            .filter((v) => v.impact === 'serious' || v.impact === 'critical')
            .map((v) => v.id + ': ' + v.nodes.map((n) => n.target.join(' ')).join(', '));
        }""",
        selector,
    )
    return list(results)


def sim_client_token(stack: WebStack, mid: str) -> str:
    """An access token for BU ``mid`` (the enhanced package's client credentials)."""
    package = stack.sim.enhanced_package
    response = httpx.post(
        f"{stack.sim_url}v2/token",
        json={
            "grant_type": "client_credentials",
            "client_id": package.client_id,
            "client_secret": package.client_secret,
            "account_id": mid,
        },
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def sim_queries(stack: WebStack, mid: str, key: str) -> list[Any]:
    return [q for q in stack.sim.store.list_queries(int(mid)) if q.customer_key == key]


def dialog(app_page: AppPage, name: str) -> Locator:
    return app_page.app.locator(f'dialog[data-dialog="{name}"]')


def pick_target(scope: Locator, text: str, name: str) -> None:
    search = scope.locator('[data-field="target-search"]')
    search.fill(text)
    scope.get_by_role("option", name=re.compile(re.escape(name))).first.click()
    expect_that(scope.locator('[data-field="picked-target"]')).to_contain_text(name)


def test_target_wizard_flags_a_field_and_creates_the_de(
    browser: Playwright, web_stack: WebStack
) -> None:
    with signed_in_app(browser, web_stack) as app_page:
        app = app_page.app
        wait_for_data_extensions(app_page, "Orders", "Subscribers")
        parent = business_units(app_page)["parent"]
        type_sql(app_page, JOIN_SQL)
        assert serious_axe_violations(app_page, ".toolbar, .topbar") == []
        app.locator('[data-action="target-wizard"]').click()

        wizard = dialog(app_page, "target-wizard")
        # A modal: focus starts on its first field and Tab / Shift+Tab stay inside.
        expect_that(wizard.get_by_label("Name", exact=True)).to_be_focused()
        close = wizard.get_by_role("button", name="Close New target data extension")
        close.focus()
        app_page.page.keyboard.press("Shift+Tab")
        expect_that(wizard.locator('[data-action="create-target"]')).to_be_focused()
        app_page.page.keyboard.press("Tab")
        expect_that(close).to_be_focused()
        rows = wizard.locator("table.fields-table tbody tr")
        expect_that(rows).to_have_count(5)
        # The proposal flags the column whose type it could not infer, next to its type.
        flagged = wizard.locator('tr[data-field-row="GiftNote"]')
        expect_that(flagged).to_have_class(re.compile("flagged"))
        expect_that(flagged.locator('[data-path="fields.4.fieldType"]')).to_contain_text(
            "could not be inferred"
        )
        # Each choice says why, on hover and on focus.
        key_row = wizard.locator('tr[data-field-row="OrderID"]')
        expect_that(key_row.locator("input[type=checkbox]").nth(1)).to_be_checked()
        key_row.locator(".why-button").hover()
        expect_that(key_row.get_by_role("tooltip")).to_be_visible()
        expect_that(key_row.get_by_role("tooltip")).to_contain_text("primary key")
        app_page.screenshot("production-wizard")
        assert serious_axe_violations(app_page) == []

        # A name the BU already has: refused next to the name, nothing created.
        name_input = wizard.get_by_label("Name", exact=True)
        name_input.fill("Orders")
        wizard.locator('[data-action="create-target"]').click()
        expect_that(wizard.locator('[data-path="name"]')).to_contain_text("already exists")
        expect_that(name_input).to_have_attribute("aria-invalid", "true")

        # Fix both: the flagged field gets a type, the name a new one.
        flagged.get_by_label("GiftNote type").select_option("TEXT")
        flagged.get_by_label("GiftNote length").fill("200")
        expect_that(flagged).not_to_have_class(re.compile("flagged"))
        name = f"Orders with subscribers {uuid.uuid4().hex[:6]}"
        name_input.fill(name)
        expect_that(wizard.locator('[data-path="name"]')).to_have_count(0)
        app_page.screenshot("production-wizard-fixed")
        wizard.locator('[data-action="create-target"]').click()
        created = wizard.locator('[data-field="created-target"]')
        expect_that(created).to_contain_text(f"Created {name}")
        app_page.screenshot("production-wizard-created")

        # Marketing Cloud has it, as proposed and fixed.
        [de] = [d for d in web_stack.sim.store.list_des(int(parent)) if d.name == name]
        fields = {f.name: f for f in de.fields}
        assert list(fields) == ["OrderID", "Amount", "SubscriberKey", "EmailAddress", "GiftNote"]
        assert fields["OrderID"].is_primary_key
        assert (fields["GiftNote"].field_type, fields["GiftNote"].max_length) == ("Text", 200)
        assert fields["Amount"].field_type == "Decimal"

        wizard.get_by_role("button", name="Done").click()
        expect_that(wizard).to_have_count(0)
        app_page.assert_clean("the target DE wizard")


def test_preflight_error_fixed_from_its_place_then_a_probe(
    browser: Playwright, web_stack: WebStack
) -> None:
    with signed_in_app(browser, web_stack) as app_page:
        app = app_page.app
        qa = business_units(app_page)["qa"]
        app.locator("#business-unit-select").select_option(qa)
        expect_that(app.locator('[data-field="business-unit"]')).to_have_attribute("data-mid", qa)
        app.get_by_role("button", name="Refresh metadata").click()
        wait_for_data_extensions(app_page, "Preflight Signups", "Preflight Members")

        type_sql(app_page, WRONG_COLUMN_SQL)
        # Its shortcut, from inside the editor (CodeMirror leaves Shift+Alt+P alone).
        expect_that(app.locator(".cm-content")).to_be_focused()
        app_page.page.keyboard.press("Shift+Alt+P")
        preflight = dialog(app_page, "preflight")
        expect_that(preflight).to_be_visible()
        pick_target(preflight, "Preflight Mem", "Preflight Members")
        preflight.get_by_role("radio", name=re.compile("^Append")).check()

        error = preflight.locator(
            '[data-severity="ERROR"] li[data-code="OUTPUT_COLUMN_NOT_IN_TARGET"]'
        )
        expect_that(error).to_contain_text("Region")
        expect_that(
            preflight.locator('[data-field="preflight-report"] .q-verdict')
        ).to_contain_text("would refuse or fail")
        app_page.screenshot("production-preflight-error")
        assert serious_axe_violations(app_page) == []

        # Its place selects the select-list item in the editor: typing replaces it.
        error.locator('[data-action="show-in-sql"]').click()
        expect_that(preflight).not_to_be_visible()
        app_page.page.keyboard.type("Country")
        expect_that(app.locator(".cm-content")).to_contain_text("FullName, Country, 'Gold' AS Tier")
        expect_that(app.locator('[data-action="back-to-screen"]')).to_have_attribute(
            "title", re.compile(r"Shift\+Alt\+R")
        )
        app_page.page.keyboard.press("Shift+Alt+R")  # back, from the editor
        expect_that(preflight).to_be_visible()
        expect_that(app.locator('[data-action="back-to-screen"]')).to_have_count(0)

        # Fixed: no error left; warnings the data may prove.
        expect_that(preflight.locator('[data-severity="ERROR"]')).to_have_count(0)
        truncated = preflight.locator('li[data-code="POSSIBLY_TRUNCATED"]')
        expect_that(truncated).to_contain_text("FullName")
        expect_that(preflight.locator('[data-severity="WARNING"]')).to_be_visible()

        # The probe measures them on the real data.
        preflight.locator('[data-action="probe"]').click()
        probe = preflight.locator('[data-field="probe"]')
        expect_that(probe).to_have_attribute("data-status", "MEASURED", timeout=60_000)
        expect_that(probe.locator('[data-field="probe-verdict"]')).to_contain_text(
            "would fail: 200 rows"
        )
        expect_that(probe.locator('li[data-code="PROBE_VALUE_TOO_LONG"]')).to_contain_text(
            "14 rows"
        )
        expect_that(probe.locator('li[data-code="PROBE_DUPLICATE_KEYS"]')).to_contain_text(
            "37 rows"
        )
        expect_that(probe.locator('li[data-code="PROBE_NULL_IN_REQUIRED"]')).to_contain_text(
            "9 rows"
        )
        expect_that(probe.get_by_role("table", name="Measured columns")).to_contain_text("47")
        probe.scroll_into_view_if_needed()
        app_page.screenshot("production-preflight-probe")
        assert serious_axe_violations(app_page) == []
        app_page.page.keyboard.press("Escape")
        expect_that(preflight).to_have_count(0)
        app_page.assert_clean("the pre-flight check")


def test_deploy_with_an_automation_run_it_and_preview_the_target(
    browser: Playwright, web_stack: WebStack
) -> None:
    with signed_in_app(browser, web_stack) as app_page:
        app = app_page.app
        wait_for_data_extensions(app_page, "Orders", "Subscribers")
        parent = business_units(app_page)["parent"]
        suffix = uuid.uuid4().hex[:6]
        type_sql(
            app_page,
            "SELECT o.OrderID, o.SubscriberKey, o.Amount\nFROM Orders o\nWHERE o.Amount > 100",
        )
        app.locator('[data-action="deploy"]').click()
        deploy = dialog(app_page, "deploy")
        deploy.get_by_label("Activity name").fill(f"Big orders {suffix}")
        key = f"big_orders_{suffix}"
        deploy.get_by_label("Customer key").fill(key)
        deploy.get_by_role("button", name="Browse…").click()
        folders = deploy.get_by_role("tree", name="Query folders")
        folders.locator('[data-folder="Query"] > .picker-row .caret').click()
        folders.locator('[data-folder="Daily"]').click()
        expect_that(deploy.locator("#deploy-folder")).to_have_value("Daily")

        # The target, made with the wizard from inside the deploy dialog.
        deploy.locator('[data-action="open-wizard"]').click()
        wizard = dialog(app_page, "target-wizard")
        target_name = f"Big orders target {suffix}"
        wizard.get_by_label("Name", exact=True).fill(target_name)
        wizard.locator('[data-action="create-target"]').click()
        expect_that(wizard.locator('[data-field="created-target"]')).to_contain_text(target_name)
        wizard.get_by_role("button", name="Done").click()
        expect_that(deploy.locator('[data-field="picked-target"]')).to_contain_text(target_name)

        # A new automation with a schedule: what MCE does with it is said plainly.
        deploy.locator('[data-field="automation"]').check()
        deploy.locator('[data-field="scheduled"]').check()
        expect_that(deploy.locator('[data-field="schedule-note"]')).to_contain_text("paused")
        expect_that(deploy.locator("table.bu-mapping")).to_contain_text(target_name)
        app_page.screenshot("production-deploy")
        assert serious_axe_violations(app_page) == []
        acknowledge = deploy.locator('[data-field="acknowledge"]')
        if acknowledge.count():
            acknowledge.check()
        deploy.locator('[data-action="deploy"]').click()

        tracker = deploy.locator('[data-field="deployment"]')
        expect_that(tracker).to_have_attribute("data-status", "SUCCEEDED", timeout=60_000)
        expect_that(tracker.locator(f'tr[data-mid="{parent}"]')).to_contain_text("activity")
        expect_that(tracker.locator('[data-field="schedule-paused"]')).to_contain_text("paused")
        app_page.screenshot("production-deploy-succeeded")

        # Run the automation in the simulator (its REST API, as Automation Studio would).
        [query] = sim_queries(web_stack, parent, key)
        assert query.query_text.startswith("SELECT o.OrderID") and query.target_key
        token = sim_client_token(web_stack, parent)
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=web_stack.sim_url, headers=headers, timeout=30) as rest:
            listed = rest.get(
                "automation/v1/automations", params={"$filter": f"key eq '{key}_auto'"}
            )
            [automation] = listed.json()["items"]
            assert automation["statusId"] == 4  # scheduled through the API: paused
            started = rest.post(f"automation/v1/automations/{automation['id']}/actions/runallonce")
            assert started.status_code == 200, started.text
            runs: list[dict[str, Any]] = []
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                runs = rest.get("__sim/tasks", params={"query": query.object_id}).json()["tasks"]
                if runs and runs[-1]["completed_at"] is not None:
                    break
                time.sleep(0.3)
            assert runs and runs[-1]["status"] == "Complete", runs
        target = web_stack.sim.store.get_de(int(parent), name=target_name)
        assert target is not None
        written = web_stack.sim.store.rows.count(target)
        assert written > 0

        # Its rows, previewed from the sidebar.
        deploy.get_by_role("button", name="Close", exact=True).click()
        expect_that(deploy).to_have_count(0)
        search = app.get_by_test_id("de-search")
        search.fill(target_name)
        expect_that(app.locator("#search-hits [role=option]").first).to_contain_text(target_name)
        search.press("Enter")
        details = app.locator("section.details")
        details.locator('[data-action="preview"]').click()
        preview = app.get_by_test_id("de-preview")
        expect_that(preview.locator("tbody tr").first).to_be_visible()
        expect_that(preview.locator("th").first).to_have_text("OrderID")
        expect_that(preview.locator("caption")).to_contain_text(f"of {written:,} rows")
        app_page.screenshot("production-target-preview")
        app_page.assert_clean("the deploy dialog")


def test_three_bus_one_failing_retry_then_drift_in_the_deployments(
    browser: Playwright, web_stack: WebStack
) -> None:
    with signed_in_app(browser, web_stack) as app_page:
        app = app_page.app
        wait_for_data_extensions(app_page, "Subscribers", "Active Subscribers")
        units = business_units(app_page)
        parent, us, eu = units["parent"], units["us"], units["eu"]
        for mid in (us, eu):
            sync_business_unit(app_page, mid, "Active Subscribers")
        sync_business_unit(app_page, parent, "Active Subscribers")
        app_page.page.reload()
        expect_that(app.locator("#app")).to_have_attribute("data-state", "signed-in")
        expect_that(app.locator('[data-field="business-unit"]')).to_have_attribute(
            "data-mid", parent
        )

        # Marketing Cloud refuses the activity once, in the EU only.
        httpx.post(
            f"{web_stack.sim_url}__sim/faults",
            json={"operation": "rest.queries.create", "kind": "error", "mid": int(eu), "times": 1},
        ).raise_for_status()

        suffix = uuid.uuid4().hex[:6]
        key = f"opted_in_{suffix}"
        type_sql(app_page, OPTED_IN_SQL)
        app.locator('[data-action="deploy"]').click()
        deploy = dialog(app_page, "deploy")
        deploy.get_by_label("Activity name").fill(f"Opted in {suffix}")
        deploy.get_by_label("Customer key").fill(key)
        pick_target(deploy, "Active Subscr", "Active Subscribers")
        for mid in (us, eu):
            deploy.locator(f'input[data-mid="{mid}"]').check()
        mapping = deploy.locator("table.bu-mapping")
        for mid in (parent, us, eu):
            expect_that(mapping.locator(f'tr[data-mid="{mid}"]')).to_contain_text(
                "Active Subscribers"
            )
        acknowledge = deploy.locator('[data-field="acknowledge"]')
        if acknowledge.count():
            acknowledge.check()
        deploy.locator('[data-action="deploy"]').click()

        tracker = deploy.locator('[data-field="deployment"]')
        expect_that(tracker).to_have_attribute("data-status", "PARTIAL", timeout=60_000)
        expect_that(tracker.locator(f'tr[data-mid="{eu}"]')).to_have_attribute(
            "data-status", "FAILED"
        )
        for mid in (parent, us):
            expect_that(tracker.locator(f'tr[data-mid="{mid}"]')).to_have_attribute(
                "data-status", "SUCCEEDED"
            )
        expect_that(tracker.locator(f'tr[data-mid="{eu}"] [data-field="bu-error"]')).to_be_visible()
        app_page.screenshot("production-deploy-partial")
        assert serious_axe_violations(app_page) == []
        tracker.locator('[data-action="retry"]').click()
        expect_that(tracker).to_have_attribute("data-status", "SUCCEEDED", timeout=60_000)
        for mid in (parent, us, eu):
            assert len(sim_queries(web_stack, mid, key)) == 1
        deploy.get_by_role("button", name="Close", exact=True).click()

        # Someone edits the activity in the US through MCE's SOAP API.
        edited = "SELECT SubscriberKey, EmailAddress FROM Subscribers WHERE OptIn = 0"
        soap = SoapClient(web_stack.sim_url.rstrip("/"), sim_client_token(web_stack, us))
        try:
            reply = soap.crud(
                "Update",
                obj(
                    "QueryDefinition",
                    f"<CustomerKey>{key}</CustomerKey><QueryText>{escape(edited)}</QueryText>",
                ),
            )
            assert reply.overall_status == "OK", reply.text
        finally:
            soap.close()

        # The production shortcuts are in the help (`?`, focus on the toolbar's button), and
        # Shift+Alt+L opens the deployments.
        app.locator('[data-action="deploy"]').focus()
        app_page.page.keyboard.press("?")
        help_overlay = dialog(app_page, "shortcuts")
        production = help_overlay.get_by_role("region", name="Production")
        for shortcut, keys in (
            ("openTargetWizard", "Shift+Alt+W"),
            ("openPreflight", "Shift+Alt+P"),
            ("openDeploy", "Shift+Alt+D"),
            ("openDeployments", "Shift+Alt+L"),
            ("backToScreen", "Shift+Alt+R"),
        ):
            expect_that(production.locator(f'[data-shortcut="{shortcut}"] kbd')).to_have_text(keys)
        app_page.page.keyboard.press("Escape")
        expect_that(help_overlay).to_have_count(0)
        # The deployments: filtered, the detail with each BU's MCE ids; roll back to it.
        app_page.page.keyboard.press("Shift+Alt+L")
        view = dialog(app_page, "deployments")
        view.locator('[data-field="filter-key"]').fill(key)
        item = view.locator(f'[data-activity="{key}"]')
        expect_that(item).to_have_count(1)
        view.locator('[data-field="filter-mid"]').select_option(eu)
        view.locator('[data-field="filter-status"]').select_option("SUCCEEDED")
        expect_that(item).to_have_count(1)
        item.click()
        detail = view.locator('[data-field="deployment-detail"]')
        expect_that(detail.locator('[data-field="deployment-sql"]')).to_have_text(OPTED_IN_SQL)
        expect_that(detail.locator(f'tr[data-mid="{eu}"]')).to_contain_text("activity")
        # Who: the API's requestedBy (the deploying user, here the viewer), in the list and
        # in the detail.
        shown = graphql(
            app_page,
            "query ($key: String) { viewer { user { id } } deployments(activityKey: $key) {"
            " edges { node { requestedBy { id name } } } } }",
            key=key,
        )
        requester = shown["deployments"]["edges"][0]["node"]["requestedBy"]
        assert requester == {"id": shown["viewer"]["user"]["id"], "name": "ada.admin"}
        listed_by = item.locator('[data-field="requested-by"]')
        expect_that(listed_by).to_have_attribute("data-user", requester["id"])
        expect_that(listed_by).to_contain_text("ada.admin (you)")
        deployed_by = detail.locator('[data-field="deployed-by"]')
        expect_that(deployed_by).to_have_attribute("data-user", requester["id"])
        expect_that(deployed_by).to_contain_text("ada.admin (you)")
        app_page.screenshot("production-deployments")
        assert serious_axe_violations(app_page) == []

        detail.locator('[data-action="rollback"]').click()
        acknowledge = view.get_by_role("checkbox", name=re.compile("roll back anyway"))
        if acknowledge.count():
            acknowledge.check()
            detail.locator('[data-action="rollback"]').click()
        rolled = view.locator('[data-field="deployment-detail"] [data-field="deployment"]')
        drift = rolled.locator(f'[data-field="drift"][data-mid="{us}"]')
        expect_that(drift).to_be_visible(timeout=60_000)
        expect_that(rolled).to_have_attribute("data-status", "PARTIAL")  # the others redeployed
        expect_that(drift.locator('[data-kind="removed"]')).to_contain_text("OptIn = 1")
        expect_that(drift.locator('[data-kind="added"]')).to_contain_text("OptIn = 0")
        drift.scroll_into_view_if_needed()
        app_page.screenshot("production-drift")
        assert serious_axe_violations(app_page) == []
        assert sim_queries(web_stack, us, key)[0].query_text == edited  # untouched so far
        rolled.locator('[data-action="force"]').click()
        expect_that(rolled).to_have_attribute("data-status", "SUCCEEDED", timeout=60_000)
        assert sim_queries(web_stack, us, key)[0].query_text == OPTED_IN_SQL

        # Its SQL opens into a tab.
        detail.locator('[data-action="open-sql"]').click()
        expect_that(view).to_have_count(0)
        expect_that(app.locator(f'[data-tab-title="Opted in {suffix}"]')).to_be_visible()
        expect_that(app.locator(".cm-content")).to_have_text(OPTED_IN_SQL)
        app_page.assert_clean("the deployments")


def test_a_target_created_where_missing_then_orphaned_is_deleted(
    browser: Playwright, web_stack: WebStack
) -> None:
    with signed_in_app(browser, web_stack) as app_page:
        app = app_page.app
        wait_for_data_extensions(app_page, "Subscribers")
        units = business_units(app_page)
        parent, us = units["parent"], units["us"]
        sync_business_unit(app_page, us, "Subscribers")
        sync_business_unit(app_page, parent, "Subscribers")
        app_page.page.reload()
        expect_that(app.locator('[data-field="business-unit"]')).to_have_attribute(
            "data-mid", parent
        )
        suffix = uuid.uuid4().hex[:6]
        target_key = f"orphan_target_{suffix}"
        created = graphql(
            app_page,
            """mutation ($input: CreateTargetDataExtensionInput!) {
              createTargetDataExtension(input: $input) { dataExtension { customerKey }
                userErrors { code field message } } }""",
            input={
                "idempotencyKey": f"e2e-{suffix}",
                "name": f"Orphan target {suffix}",
                "customerKey": target_key,
                "fields": [
                    {
                        "name": "SubscriberKey",
                        "fieldType": "TEXT",
                        "length": 254,
                        "isPrimaryKey": True,
                    },
                    {"name": "EmailAddress", "fieldType": "EMAIL_ADDRESS", "length": 254},
                ],
            },
        )["createTargetDataExtension"]
        assert created["userErrors"] == [], created
        # The US lacks the target: the deployment creates it there, then MCE refuses the
        # activity once.
        httpx.post(
            f"{web_stack.sim_url}__sim/faults",
            json={"operation": "rest.queries.create", "kind": "error", "mid": int(us), "times": 1},
        ).raise_for_status()

        type_sql(app_page, OPTED_IN_SQL)
        app.locator('[data-action="deploy"]').click()
        deploy = dialog(app_page, "deploy")
        deploy.get_by_label("Customer key").fill(f"orphan_{suffix}")
        pick_target(deploy, f"Orphan target {suffix}", f"Orphan target {suffix}")
        deploy.locator(f'input[data-mid="{parent}"]').uncheck()
        deploy.locator(f'input[data-mid="{us}"]').check()
        mapping = deploy.locator(f'table.bu-mapping tr[data-mid="{us}"]')
        expect_that(mapping).to_contain_text("not found here")
        deploy.locator('[data-field="create-missing"]').check()
        expect_that(mapping).to_contain_text("created there")
        acknowledge = deploy.locator('[data-field="acknowledge"]')
        if acknowledge.count():
            acknowledge.check()
        deploy.locator('[data-action="deploy"]').click()

        tracker = deploy.locator('[data-field="deployment"]')
        expect_that(tracker).to_have_attribute("data-status", "FAILED", timeout=60_000)
        orphan = tracker.locator('[data-field="orphan"]')
        expect_that(orphan).to_contain_text(target_key)
        assert web_stack.sim.store.get_de(int(us), customer_key=target_key) is not None
        assert serious_axe_violations(app_page) == []
        orphan.locator('[data-action="delete-orphan"]').click()
        expect_that(orphan).to_have_count(0)
        assert web_stack.sim.store.get_de(int(us), customer_key=target_key) is None
        app_page.assert_clean("an orphaned data extension")
