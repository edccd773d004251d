import { describe, expect, it } from "vitest";
import {
  cleanPath,
  initialForm,
  keyFrom,
  offsetText,
  recurrence,
  toDeployInput,
  withIdentity,
  withOffset,
} from "./form";

describe("the deploy form", () => {
  it("suggests keys from names", () => {
    expect(keyFrom("Orders by day (EU) – v2")).toBe("Orders_by_day_EU_v2");
    expect(keyFrom("Café")).toBe("Cafe");
    expect(keyFrom("x".repeat(50)).length).toBe(36);
  });

  it("sends a schedule's start with its UTC offset and its recurrence as an iCal rule", () => {
    expect(offsetText(120)).toBe("+02:00");
    expect(offsetText(-330)).toBe("-05:30");
    expect(offsetText(0)).toBe("+00:00");
    expect(withOffset("2025-03-01T06:00", -360)).toBe("2025-03-01T06:00:00-06:00");
    expect(recurrence("DAILY", "1")).toBe("FREQ=DAILY;INTERVAL=1");
    expect(recurrence("HOURLY", "x")).toBe("FREQ=HOURLY;INTERVAL=1");
    expect(cleanPath(" Daily / /Sales/ ")).toBe("Daily/Sales");
  });

  it("maps the form to deployQueryActivity's input", () => {
    const form = initialForm("Orders Results", "100", new Date(2025, 0, 31, 12));
    expect(form.automation.start).toBe("2025-02-01T06:00");
    form.target = {
      id: "D1",
      name: "Orders Results",
      customerKey: "Orders_Results",
      shared: false,
    };
    form.folderPath = "Daily/";
    form.mids = ["100", "200", "300"];
    form.automation = { ...form.automation, enabled: true, scheduled: true, end: "" };
    form.acknowledgeWarnings = true;
    const input = toDeployInput(form, "SELECT 1 AS One", { start: 60 });
    expect(input).toEqual({
      name: "Orders Results",
      key: "Orders_Results",
      description: "",
      sql: "SELECT 1 AS One",
      folderPath: "Daily",
      target: { key: "Orders_Results", shared: false, create: false, name: null, folderPath: null },
      updateType: "OVERWRITE",
      mids: ["100", "200", "300"],
      createMissing: false,
      automation: {
        name: "Orders Results automation",
        key: "Orders_Results_auto",
        description: "",
        schedule: {
          startDate: "2025-02-01T06:00:00+01:00",
          recurrence: "FREQ=DAILY;INTERVAL=1",
          timeZoneId: 5,
          endDate: null,
        },
      },
      acknowledgeWarnings: true,
      force: false,
    });
    form.createMissing = true;
    form.targetFolderPath = "Sales";
    form.automation.enabled = false;
    const created = toDeployInput(form, "SELECT 1 AS One");
    expect(created.target).toEqual({
      key: "Orders_Results",
      shared: false,
      create: true,
      name: "Orders Results",
      folderPath: "Sales",
    });
    expect([created.createMissing, created.automation]).toEqual([true, null]);
  });

  it("derives the key and the automation's name and key until the person sets them", () => {
    const form = initialForm("Query 1", "100");
    const touched = new Set<string>();
    const named = withIdentity(form, { name: "Big orders" }, touched);
    expect([named.key, named.automation.name, named.automation.key]).toEqual([
      "Big_orders",
      "Big orders automation",
      "Big_orders_auto",
    ]);
    touched.add("key");
    const keyed = withIdentity(named, { key: "big_1" }, touched);
    expect([keyed.key, keyed.automation.key]).toEqual(["big_1", "big_1_auto"]);
    expect(withIdentity(keyed, { name: "Other" }, touched).key).toBe("big_1");
    touched.add("automation.key");
    expect(withIdentity(keyed, { key: "big_2" }, touched).automation.key).toBe("big_1_auto");
  });
});
