import { describe, expect, it } from "vitest";
import { ApiProblem } from "./problems";
import { backoffMs, classifySinkError } from "./ws";

describe("what a dropped or refused socket means", () => {
  it("retries after an abnormal close or a socket that never opened", () => {
    expect(classifySinkError({ code: 1006, reason: "" })).toBe("retry");
    expect(classifySinkError({ code: 1001 })).toBe("retry");
    expect(classifySinkError(new Event("error"))).toBe("retry");
  });

  it("stops for a refused credential and for GraphQL errors", () => {
    const ended = classifySinkError({ code: 4403, reason: "Forbidden" });
    expect(ended).toBeInstanceOf(ApiProblem);
    expect((ended as ApiProblem).kind).toBe("signed-out");
    const refused = classifySinkError([
      { message: "Results expired", extensions: { code: "EXPIRED" } },
    ]);
    expect((refused as ApiProblem).code).toBe("EXPIRED");
    expect((refused as ApiProblem).message).toBe("Results expired");
  });

  it("backs off up to five seconds", () => {
    expect([1, 2, 3, 10].map(backoffMs)).toEqual([250, 500, 1000, 5000]);
  });
});
