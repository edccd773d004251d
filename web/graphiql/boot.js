/*
 * Quarry's GraphiQL boot script (our code; GraphiQL, React and ReactDOM are third-party builds
 * loaded before it by index.html).
 *
 * How requests to /api/graphql are authenticated:
 *  - With the session cookie (signed in to Quarry in this browser): the cookie goes along and,
 *    because cookie-authenticated POSTs must prove they come from our pages, the X-CSRF-Token
 *    header carries the token that GET /api/auth/session hands to same-origin scripts.
 *  - With a bearer token that support paste into GraphiQL's headers editor, for example
 *    {"Authorization": "Bearer qrs_..."}: the request then goes without cookies and without the
 *    CSRF token, so it is the token's alone.
 * Headers are never written to storage: shouldPersistHeaders stays false, and because GraphiQL
 * 3.8 still records each run's headers in its history ("graphiql:queries" in localStorage), its
 * storage is ours and drops every "headers" field before writing (see headerlessStorage).
 * Subscriptions use graphql-transport-ws on the same path; the browser sends the cookie and our
 * Origin with the upgrade, and connection_init carries {"csrfToken": ...}: the server refuses a
 * cookie-authenticated socket without it (close 4403). A pasted Authorization header goes in
 * connection_init instead, alone.
 */
(function () {
  "use strict";

  var ENDPOINT = "/api/graphql";
  var SESSION = "/api/auth/session";
  var DEFAULT_QUERY = [
    "# Quarry's GraphQL API. Signed in to Quarry in this browser, requests use your session.",
    "# Support: paste a token into Headers as {\"Authorization\": \"Bearer qrs_...\"}.",
    "",
    "{",
    "  viewer {",
    "    user { name email }",
    "    tenant { name enterpriseId }",
    "    businessUnit { mid name }",
    "  }",
    "}",
    "",
  ].join("\n");

  // Undefined until asked; null when there is no session (or no token to be had).
  var csrfToken;

  async function loadCsrfToken() {
    try {
      var response = await fetch(SESSION, {
        credentials: "include",
        cache: "no-store",
        headers: { Accept: "application/json" },
      });
      if (!response.ok) {
        return null;
      }
      var session = await response.json();
      return session && session.signedIn && session.csrfToken ? session.csrfToken : null;
    } catch (error) {
      return null;
    }
  }

  function withOptions(init, headers, credentials) {
    return Object.assign({}, init, { headers: headers, credentials: credentials });
  }

  async function quarryFetch(url, init) {
    var headers = new Headers((init && init.headers) || {});
    if (headers.has("Authorization")) {
      return fetch(url, withOptions(init, headers, "omit"));
    }
    if (csrfToken === undefined) {
      csrfToken = await loadCsrfToken();
    }
    if (csrfToken) {
      headers.set("X-CSRF-Token", csrfToken);
    }
    var response = await fetch(url, withOptions(init, headers, "include"));
    if (response.status === 403) {
      // The session may have changed since the token was read (signed in again, switched BU):
      // read it once more and retry once.
      var fresh = await loadCsrfToken();
      if (fresh && fresh !== csrfToken) {
        csrfToken = fresh;
        headers.set("X-CSRF-Token", fresh);
        return fetch(url, withOptions(init, headers, "include"));
      }
    }
    return response;
  }

  // The stored values that can hold headers: history, favourites and open tabs (JSON). The
  // e2e browser test checks that a pasted token reaches no storage at all.
  var STRUCTURED_KEYS = ["graphiql:queries", "graphiql:favorites", "graphiql:tabState"];

  function withoutHeaders(value) {
    if (Array.isArray(value)) {
      return value.map(withoutHeaders);
    }
    if (value !== null && typeof value === "object") {
      var copy = {};
      Object.keys(value).forEach(function (key) {
        if (key !== "headers") {
          copy[key] = withoutHeaders(value[key]);
        }
      });
      return copy;
    }
    return value;
  }

  // Unparseable JSON is not stored at all rather than stored with its headers.
  function scrubbed(value) {
    try {
      return JSON.stringify(withoutHeaders(JSON.parse(value)));
    } catch (error) {
      return "null";
    }
  }

  var headerlessStorage = {
    getItem: function (key) {
      return window.localStorage.getItem(key);
    },
    setItem: function (key, value) {
      if (key === "graphiql:headers") {
        window.localStorage.removeItem(key);
        return;
      }
      var text = String(value);
      window.localStorage.setItem(key, STRUCTURED_KEYS.indexOf(key) === -1 ? text : scrubbed(text));
    },
    removeItem: function (key) {
      window.localStorage.removeItem(key);
    },
    clear: function () {
      Object.keys(window.localStorage)
        .filter(function (key) {
          return key.indexOf("graphiql:") === 0;
        })
        .forEach(function (key) {
          window.localStorage.removeItem(key);
        });
    },
    get length() {
      return Object.keys(window.localStorage).filter(function (key) {
        return key.indexOf("graphiql:") === 0;
      }).length;
    },
  };

  function subscriptionUrl() {
    var url = new URL(ENDPOINT, window.location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    return url.href;
  }

  function hasAuthorization(headers) {
    return Object.keys(headers || {}).some(function (key) {
      return key.toLowerCase() === "authorization";
    });
  }

  function runsSubscription(documentAST) {
    return Boolean(
      documentAST &&
        documentAST.definitions.some(function (definition) {
          return (
            definition.kind === "OperationDefinition" && definition.operation === "subscription"
          );
        })
    );
  }

  // GraphiQL's toolkit opens one socket per subscription, with wsConnectionParams plus the
  // headers editor's values as the connection_init payload, reading wsConnectionParams from
  // these options at that moment: set them just before each run.
  var fetcherOptions = {
    url: ENDPOINT,
    subscriptionUrl: subscriptionUrl(),
    fetch: quarryFetch,
    wsConnectionParams: {},
    // Our API answers plain JSON; no multipart (@defer/@stream) responses.
    enableIncrementalDelivery: false,
  };
  var graphiqlFetcher = GraphiQL.createFetcher(fetcherOptions);

  async function fetcher(graphQLParams, opts) {
    var params = {};
    if (runsSubscription(opts && opts.documentAST) && !hasAuthorization(opts && opts.headers)) {
      // Read afresh: a socket cannot retry with a new token the way quarryFetch does.
      csrfToken = await loadCsrfToken();
      if (csrfToken) {
        params.csrfToken = csrfToken;
      }
    }
    fetcherOptions.wsConnectionParams = params;
    return graphiqlFetcher(graphQLParams, opts);
  }

  ReactDOM.createRoot(document.getElementById("graphiql")).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: DEFAULT_QUERY,
      shouldPersistHeaders: false,
      storage: headerlessStorage,
    })
  );
})();
