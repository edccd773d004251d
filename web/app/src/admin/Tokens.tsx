// API tokens: create one (its secret shown once, with a copy button), list them, revoke one.
import {
  type ClipboardEvent,
  type FormEvent,
  useCallback,
  useEffect,
  useId,
  useRef,
  useState,
} from "react";
import { request } from "../api/http";
import { describeProblem } from "../api/problems";
import type { ApiTokenScope, ApiTokensQuery } from "../gql/graphql";
import { useChoice } from "../ui/Choice";
import { formatDate, formatDateTime } from "../ui/dates";
import { copyFrom } from "./copy";
import {
  ApiTokensQuery as ApiTokensDocument,
  CreateApiTokenMutation,
  RevokeApiTokenMutation,
} from "./operations";
import { everyPage } from "./pages";

type Token = ApiTokensQuery["apiTokens"]["edges"][number]["node"];

function status(token: Token, now: number): string {
  if (token.revokedAt) return `Revoked ${formatDate(token.revokedAt)}`;
  if (token.expiresAt && Date.parse(token.expiresAt) <= now) return "Expired";
  return "Active";
}

export function Tokens({ currentMid }: { currentMid: string }) {
  const [tokens, setTokens] = useState<Token[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [secret, setSecret] = useState<{ name: string; token: string } | null>(null);
  const [copied, setCopied] = useState<string | null>(null);
  const [ask, choice] = useChoice();
  const secretField = useRef<HTMLInputElement>(null);

  const load = useCallback(async () => {
    try {
      setTokens(
        await everyPage(async (after) => (await request(ApiTokensDocument, { after })).apiTokens),
      );
    } catch (error) {
      setProblem(describeProblem(error));
    }
  }, []);

  useEffect(() => {
    void load();
  }, [load]);

  const revoke = async (token: Token) => {
    const answer = await ask({
      name: "revoke-token",
      title: "Revoke this token?",
      message: (
        <p>
          Scripts using “{token.name}” are refused from now on. This cannot be undone: create a new
          token if you need one again.
        </p>
      ),
      choices: [
        { value: "revoke", label: "Revoke", tone: "danger" },
        { value: "cancel", label: "Cancel" },
      ],
    });
    if (answer !== "revoke") return;
    try {
      const data = await request(RevokeApiTokenMutation, { id: token.id });
      const refused = data.revokeApiToken.userErrors[0];
      setProblem(refused ? refused.message : null);
      await load();
    } catch (error) {
      setProblem(describeProblem(error));
    }
  };

  const now = Date.now();
  return (
    <div className="account-section">
      <p className="muted">
        A token lets a script use Quarry's API as you, in the business unit it was created in (MID{" "}
        {currentMid} for a new one): send it as <code>Authorization: Bearer …</code> to{" "}
        <code>/api/graphql</code>.
      </p>
      <CreateToken
        onCreated={(name, token) => {
          setSecret({ name, token });
          setCopied(null);
          void load();
        }}
      />
      {secret && (
        <section className="secret" aria-label="New token" data-field="new-token">
          <p>
            <strong>Copy the token “{secret.name}” now:</strong> it is shown this once and never
            again.
          </p>
          <div className="secret-row">
            <input
              ref={secretField}
              type="text"
              readOnly
              aria-label="The new token's secret"
              className="mono"
              value={secret.token}
              data-testid="token-secret"
              onCopy={(event: ClipboardEvent<HTMLInputElement>) => {
                event.clipboardData.setData("text/plain", secret.token);
                event.preventDefault();
              }}
            />
            <button
              type="button"
              data-action="copy-token"
              onClick={() =>
                setCopied(
                  copyFrom(secretField.current)
                    ? "Copied to the clipboard."
                    : "The browser did not allow copying: select the text and copy it.",
                )
              }
            >
              Copy
            </button>
            <button type="button" onClick={() => setSecret(null)}>
              Done
            </button>
          </div>
          <p className="muted" role="status">
            {copied}
          </p>
        </section>
      )}
      {problem && (
        <p className="notice error" role="alert">
          {problem}
        </p>
      )}
      <h3>Your tokens</h3>
      {tokens === null && !problem && <p className="muted">Loading…</p>}
      {tokens?.length === 0 && <p className="muted">You have no API tokens.</p>}
      {tokens && tokens.length > 0 && (
        <table className="table" data-testid="api-tokens">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Scope</th>
              <th scope="col">MID</th>
              <th scope="col">Created</th>
              <th scope="col">Expires</th>
              <th scope="col">Last used</th>
              <th scope="col">Status</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {tokens.map((token) => {
              const state = status(token, now);
              return (
                <tr key={token.id} data-token={token.name} data-status={state.split(" ")[0]}>
                  <td>{token.name}</td>
                  <td>{token.scope === "READ" ? "Read" : "Read and write"}</td>
                  <td className="mono">{token.mid}</td>
                  <td>{formatDate(token.createdAt)}</td>
                  <td>{token.expiresAt ? formatDate(token.expiresAt) : "never"}</td>
                  <td>{token.lastUsedAt ? formatDateTime(token.lastUsedAt) : "never"}</td>
                  <td>{state}</td>
                  <td>
                    {state === "Active" && (
                      <button
                        type="button"
                        aria-label={`Revoke ${token.name}`}
                        onClick={() => void revoke(token)}
                      >
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {choice}
    </div>
  );
}

function CreateToken({ onCreated }: { onCreated: (name: string, token: string) => void }) {
  const [name, setName] = useState("");
  const [scope, setScope] = useState<ApiTokenScope>("READ");
  const [days, setDays] = useState("90");
  const [problem, setProblem] = useState<{ field: string | null; message: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const ids = { name: useId(), scope: useId(), days: useId() };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setProblem(null);
    try {
      const data = await request(CreateApiTokenMutation, {
        input: { name: name.trim(), scope, expiresInDays: Number(days) },
      });
      const refused = data.createApiToken.userErrors[0];
      if (refused) {
        setProblem({ field: refused.field, message: refused.message });
      } else if (data.createApiToken.token) {
        onCreated(name.trim(), data.createApiToken.token);
        setName("");
      }
    } catch (error) {
      setProblem({ field: null, message: describeProblem(error) });
    } finally {
      setBusy(false);
    }
  };

  const fieldProblem = (field: string) =>
    problem?.field?.toLowerCase().endsWith(field.toLowerCase()) ? problem.message : null;

  return (
    <form
      className="token-form"
      onSubmit={(event) => void submit(event)}
      aria-label="New API token"
    >
      <div className="form-row">
        <label htmlFor={ids.name}>Name</label>
        <input
          id={ids.name}
          type="text"
          required
          maxLength={100}
          value={name}
          placeholder="e.g. nightly export"
          aria-invalid={fieldProblem("name") !== null}
          onChange={(event) => setName(event.target.value)}
        />
        {fieldProblem("name") && <span className="field-error">{fieldProblem("name")}</span>}
      </div>
      <div className="form-row">
        <label htmlFor={ids.scope}>Scope</label>
        <select
          id={ids.scope}
          value={scope}
          onChange={(event) => setScope(event.target.value as ApiTokenScope)}
        >
          <option value="READ">Read (queries only)</option>
          <option value="READ_WRITE">Read and write (runs, snippets)</option>
        </select>
      </div>
      <div className="form-row">
        <label htmlFor={ids.days}>Expires in (days)</label>
        <input
          id={ids.days}
          type="number"
          min={1}
          max={365}
          value={days}
          aria-invalid={fieldProblem("expiresInDays") !== null}
          onChange={(event) => setDays(event.target.value)}
        />
        {fieldProblem("expiresInDays") && (
          <span className="field-error">{fieldProblem("expiresInDays")}</span>
        )}
      </div>
      <button
        type="submit"
        className="primary"
        disabled={busy || !name.trim()}
        data-action="create-token"
      >
        Create token
      </button>
      {problem && !fieldProblem("name") && !fieldProblem("expiresInDays") && (
        <p className="field-error" role="alert">
          {problem.message}
        </p>
      )}
    </form>
  );
}
