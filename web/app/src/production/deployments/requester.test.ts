import { describe, expect, it } from "vitest";
import type { Viewer } from "../../App";
import { requesterText } from "./requester";

const viewer: Viewer = {
  user: { id: "u-1", name: "Ada Ops", email: "ada@example.com", timeZone: "UTC" },
  tenant: { name: "Acme", enterpriseId: "1" },
  businessUnit: { mid: "10", name: "Acme", parentMid: null },
  availableBusinessUnits: [{ mid: "10", name: "Acme", parentMid: null }],
};

describe("requesterText", () => {
  it("names the viewer as you", () => {
    expect(requesterText({ id: "u-1", name: "Ada Ops", email: "ada@example.com" }, viewer)).toBe(
      "Ada Ops (you)",
    );
  });

  it("names another user by the API's requestedBy, never the viewer", () => {
    expect(requesterText({ id: "u-2", name: "Bo Analyst", email: "bo@example.com" }, viewer)).toBe(
      "Bo Analyst <bo@example.com>",
    );
    expect(requesterText({ id: "u-3", name: "Cy", email: null }, viewer)).toBe("Cy");
  });

  it("says so when the user is gone", () => {
    expect(requesterText(null, viewer)).toBe("a user no longer in Quarry");
  });
});
