import { describe, expect, it } from "vitest";
import { byPath, problemsOf, unplaced } from "./errors";
import { canonicalJson, fingerprint, idempotencyKey, newNonce } from "./keys";

describe("idempotency keys", () => {
  it("fingerprints with 64-bit FNV-1a", () => {
    expect(fingerprint("")).toBe("cbf29ce484222325");
    expect(fingerprint("a")).toBe("af63dc4c8601ec8c");
    expect(fingerprint("foobar")).toBe("85944171f73967e8");
  });

  it("writes equal inputs alike whatever their key order, leaving undefined out", () => {
    expect(canonicalJson({ b: 1, a: [{ y: null, x: "s" }], c: undefined })).toBe(
      '{"a":[{"x":"s","y":null}],"b":1}',
    );
  });

  it("keeps the key for the same request in one dialog, and changes it for another", () => {
    const nonce = newNonce();
    const input = { name: "Orders Results", fields: [{ name: "OrderID", fieldType: "NUMBER" }] };
    const same = { fields: [{ fieldType: "NUMBER", name: "OrderID" }], name: "Orders Results" };
    expect(idempotencyKey(nonce, input)).toBe(idempotencyKey(nonce, same));
    expect(idempotencyKey(nonce, input)).not.toBe(
      idempotencyKey(nonce, { ...input, name: "Other" }),
    );
    expect(idempotencyKey(newNonce(), input)).not.toBe(idempotencyKey(nonce, input));
    expect(idempotencyKey(nonce, input).length).toBeLessThanOrEqual(200);
    expect(nonce).toMatch(/^[0-9a-f]{24}$/);
  });
});

describe("problems by path", () => {
  it("groups user errors by the input path they name and finds the unplaced ones", () => {
    const problems = problemsOf(
      [
        { code: "LENGTH_INVALID", field: "fields.3.length", message: "A length is at least 1." },
        { code: "NAME_TAKEN", field: "name", message: "Taken." },
        { code: "MCE_REFUSED", field: null, message: "No." },
        { code: "X", field: "fields.3.length", message: "Again." },
      ],
      "error",
    );
    const map = byPath(problems);
    expect(map.get("fields.3.length")?.map((p) => p.code)).toEqual(["LENGTH_INVALID", "X"]);
    expect(map.get("name")?.[0]?.severity).toBe("error");
    expect(unplaced(problems, (path) => path === "name").map((p) => p.code)).toEqual([
      "LENGTH_INVALID",
      "MCE_REFUSED",
      "X",
    ]);
  });
});
