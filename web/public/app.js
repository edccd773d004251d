// Quarry's signed-in shell: who is signed in, in which tenant and business unit, and a BU switch.
// A real IDE replaces it in a later release.
//
// Rules this file keeps (the CSP allows scripts from our origin only, with no inline code):
// - Every value from the API is put into the page as text (textContent / text nodes), never as
//   HTML, so a BU or user name cannot inject markup.
// - Cookie-authenticated GraphQL POSTs carry X-CSRF-Token, read from GET /api/auth/session.

const SESSION_URL = "/api/auth/session";
const GRAPHQL_URL = "/api/graphql";
const SIGN_IN_URL = "/api/auth/login";
const SIGN_OUT_URL = "/api/auth/logout";

const VIEWER_QUERY = `query Viewer {
  viewer {
    user { name email }
    tenant { name enterpriseId }
    businessUnit { mid name }
    availableBusinessUnits { mid name }
  }
}`;

const SWITCH_BUSINESS_UNIT = `mutation SwitchBusinessUnit($mid: String!) {
  switchBusinessUnit(input: { mid: $mid }) {
    viewer { businessUnit { mid name } }
    userErrors { code message field }
  }
}`;

const root = document.getElementById("app");

/** A failure whose message is safe to show. */
class ShownError extends Error {}

/** Build an element; string children become text nodes, never HTML. */
function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    element.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) {
      continue;
    }
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

function show(state, ...children) {
  root.dataset.state = state;
  root.replaceChildren(...children);
}

async function readSession() {
  let response;
  try {
    response = await fetch(SESSION_URL, {
      credentials: "same-origin",
      cache: "no-store",
      headers: { Accept: "application/json" },
    });
  } catch {
    throw new ShownError("Quarry could not be reached. Check your connection and reload.");
  }
  if (!response.ok) {
    throw new ShownError(`Quarry could not read your session (HTTP ${response.status}).`);
  }
  return response.json();
}

/** POST a GraphQL operation with the session cookie and its CSRF token; returns `data`. */
async function graphql(session, query, variables = {}) {
  let response;
  try {
    response = await fetch(GRAPHQL_URL, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        Accept: "application/json",
        "Content-Type": "application/json",
        "X-CSRF-Token": session.csrfToken || "",
      },
      body: JSON.stringify({ query, variables }),
    });
  } catch {
    throw new ShownError("Quarry could not be reached. Check your connection and reload.");
  }
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const message = body && body.error && body.error.message;
    throw new ShownError(message || `The request failed (HTTP ${response.status}).`);
  }
  if (body && Array.isArray(body.errors) && body.errors.length > 0) {
    throw new ShownError(body.errors[0].message || "The request failed.");
  }
  return (body && body.data) || {};
}

function label(name, id, kind) {
  return `${name} (${kind} ${id})`;
}

function renderSignedOut() {
  const devSignIn =
    document.querySelector('meta[name="quarry-sign-in"]')?.getAttribute("content") ===
    "development";
  show(
    "signed-out",
    h("h1", {}, "Quarry"),
    h("p", {}, "Open Quarry from Marketing Cloud's app switcher."),
    devSignIn &&
      h(
        "p",
        { "data-field": "dev-sign-in" },
        h("a", { href: SIGN_IN_URL, id: "sign-in" }, "Sign in"),
        " (development: signs in through the MCE simulator)"
      )
  );
}

function renderError(error) {
  const message = error instanceof ShownError ? error.message : "Something went wrong. Reload.";
  show(
    "error",
    h("h1", {}, "Quarry"),
    h("p", { role: "alert", class: "error", "data-field": "error" }, message)
  );
}

function businessUnitSelect(viewer, onSwitch) {
  const current = viewer.businessUnit;
  const select = h("select", { id: "business-unit-select", name: "businessUnit" });
  for (const unit of viewer.availableBusinessUnits || []) {
    const option = h("option", { value: unit.mid }, label(unit.name, unit.mid, "MID"));
    option.selected = current !== null && unit.mid === current.mid;
    select.append(option);
  }
  select.addEventListener("change", () => onSwitch(select.value, select));
  return select;
}

function renderSignedIn(session, viewer) {
  const status = h("p", { role: "alert", class: "error", "data-field": "error" });
  const onSwitch = async (mid, select) => {
    select.disabled = true;
    status.textContent = "";
    try {
      const data = await graphql(session, SWITCH_BUSINESS_UNIT, { mid });
      const errors = (data.switchBusinessUnit && data.switchBusinessUnit.userErrors) || [];
      if (errors.length > 0) {
        throw new ShownError(errors[0].message);
      }
      await load();
    } catch (error) {
      status.textContent = error instanceof ShownError ? error.message : "The switch failed.";
      select.value = viewer.businessUnit ? viewer.businessUnit.mid : "";
      select.disabled = false;
    }
  };
  const unit = viewer.businessUnit;
  show(
    "signed-in",
    h(
      "header",
      {},
      h("h1", {}, "Quarry"),
      h("a", { href: SIGN_OUT_URL, id: "sign-out" }, "Sign out")
    ),
    h(
      "dl",
      {},
      h("dt", {}, "Signed in as"),
      h(
        "dd",
        {},
        h("span", { "data-field": "user-name" }, viewer.user.name),
        viewer.user.email
          ? [" (", h("span", { "data-field": "user-email" }, viewer.user.email), ")"]
          : []
      ),
      h("dt", {}, "Tenant"),
      h(
        "dd",
        { "data-field": "tenant" },
        label(viewer.tenant.name, viewer.tenant.enterpriseId, "EID")
      ),
      h("dt", {}, "Business unit"),
      h(
        "dd",
        { "data-field": "business-unit", "data-mid": unit ? unit.mid : "" },
        unit ? label(unit.name, unit.mid, "MID") : "none"
      )
    ),
    h(
      "p",
      {},
      h("label", { for: "business-unit-select" }, "Switch business unit "),
      businessUnitSelect(viewer, onSwitch)
    ),
    status
  );
}

async function load() {
  try {
    const session = await readSession();
    if (!session.signedIn) {
      renderSignedOut();
      return;
    }
    const data = await graphql(session, VIEWER_QUERY);
    if (!data.viewer) {
      renderSignedOut();
      return;
    }
    renderSignedIn(session, data.viewer);
  } catch (error) {
    renderError(error);
  }
}

load();
