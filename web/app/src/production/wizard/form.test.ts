import { describe, expect, it } from "vitest";
import {
  afterEdit,
  checkForm,
  fromProposal,
  type Proposal,
  toInput,
  withKey,
  withType,
} from "./form";

const proposal: Proposal = {
  mid: "100",
  name: "Orders Results",
  nameReason: "Named after what the query reads.",
  customerKey: "Orders_Results",
  customerKeyReason: "From the name.",
  folder: { id: "F1", name: "Sales" },
  folderReason: "Where Orders lives.",
  fields: [
    {
      name: "OrderID",
      fieldType: "NUMBER",
      length: null,
      precision: null,
      scale: null,
      nullable: false,
      isPrimaryKey: true,
      reason: "key",
    },
    {
      name: "Amount",
      fieldType: "DECIMAL",
      length: null,
      precision: 12,
      scale: 2,
      nullable: true,
      isPrimaryKey: false,
      reason: "dec",
    },
    {
      name: "Email",
      fieldType: "EMAIL_ADDRESS",
      length: 254,
      precision: null,
      scale: null,
      nullable: true,
      isPrimaryKey: false,
      reason: "mail",
    },
    {
      name: "Nothing",
      fieldType: "TEXT",
      length: 4000,
      precision: null,
      scale: null,
      nullable: true,
      isPrimaryKey: false,
      reason: "unknown",
    },
  ],
  primaryKey: { fields: ["OrderID"], reason: "Orders' key" },
  sendable: { enabled: false, field: null, relationship: null, reason: "no subscriber key" },
  retention: {
    suggested: null,
    reason: "none",
    options: [
      { setting: null, reason: "keep" },
      {
        setting: { length: 30, unit: "DAYS", mode: "ROWS", resetOnImport: false },
        reason: "window",
      },
    ],
  },
  warnings: [{ code: "TYPE_NOT_KNOWN", field: "fields.3.fieldType", message: "check it" }],
};

describe("the wizard's form", () => {
  it("maps the proposal unchanged into createTargetDataExtension's input", () => {
    const form = fromProposal(proposal);
    expect(checkForm(form)).toEqual([]);
    expect(toInput(form, proposal.retention.options)).toEqual({
      name: "Orders Results",
      customerKey: "Orders_Results",
      description: null,
      folderId: "F1",
      fields: [
        {
          name: "OrderID",
          fieldType: "NUMBER",
          length: null,
          precision: null,
          scale: null,
          isRequired: true,
          isPrimaryKey: true,
        },
        {
          name: "Amount",
          fieldType: "DECIMAL",
          length: null,
          precision: 12,
          scale: 2,
          isRequired: false,
          isPrimaryKey: false,
        },
        {
          name: "Email",
          fieldType: "EMAIL_ADDRESS",
          length: 254,
          precision: null,
          scale: null,
          isRequired: false,
          isPrimaryKey: false,
        },
        {
          name: "Nothing",
          fieldType: "TEXT",
          length: 4000,
          precision: null,
          scale: null,
          isRequired: false,
          isPrimaryKey: false,
        },
      ],
      sendable: null,
      retention: null,
    });
  });

  it("sends edits: a type change drops a length the type cannot have; a key is required", () => {
    const form = fromProposal(proposal);
    form.fields[3] = withType(form.fields[3]!, "DATE");
    form.fields[2] = withKey(form.fields[2]!, true);
    form.customerKey = " ";
    form.description = "  daily  ";
    form.retentionChoice = "1";
    form.sendable = { enabled: true, field: "Email", relationship: "SUBSCRIBER_KEY" };
    const input = toInput(form, proposal.retention.options);
    expect(input.fields[3]).toEqual({
      name: "Nothing",
      fieldType: "DATE",
      length: null,
      precision: null,
      scale: null,
      isRequired: false,
      isPrimaryKey: false,
    });
    expect(input.fields[2]).toMatchObject({ isPrimaryKey: true, isRequired: true });
    expect(input.customerKey).toBeNull();
    expect(input.description).toBe("daily");
    expect(input.retention).toEqual({
      length: 30,
      unit: "DAYS",
      mode: "ROWS",
      resetOnImport: false,
    });
    expect(input.sendable).toEqual({ field: "Email", relationship: "SUBSCRIBER_KEY" });
    const decimal = withType(form.fields[0]!, "DECIMAL");
    expect([decimal.length, decimal.scale]).toEqual(["18", "2"]);
  });

  it("flags what the schema rules out, by the path the server would name", () => {
    const form = fromProposal(proposal);
    form.name = " ";
    form.fields[1] = { ...form.fields[1]!, length: "50", scale: "3" };
    form.fields[2] = { ...form.fields[2]!, length: "ten" };
    form.fields[0] = { ...form.fields[0]!, name: "" };
    form.sendable = { enabled: true, field: "Gone", relationship: "SUBSCRIBER_KEY" };
    const paths = checkForm(form).map((p) => `${p.field}:${p.code}`);
    expect(paths).toEqual([
      "name:NAME_REQUIRED",
      "fields.0.name:FIELD_NAME_REQUIRED",
      "fields.1.precision:PRECISION_INVALID",
      "fields.2.length:LENGTH_INVALID",
      "sendable.field:SENDABLE_FIELD_UNKNOWN",
    ]);
    form.fields[1] = { ...form.fields[1]!, length: "10", scale: "11" };
    expect(checkForm(form).map((p) => p.field)).toContain("fields.1.scale");
  });

  it("drops a row's problems once the row is edited, and others' only for their path", () => {
    const problems = [
      { field: "fields.3.fieldType", code: "TYPE_NOT_KNOWN" },
      { field: "fields.3.length", code: "X" },
      { field: "fields.30.name", code: "Y" },
      { field: "name", code: "NAME_TAKEN" },
      { field: null, code: "MCE_REFUSED" },
    ];
    expect(afterEdit(problems, "fields.3.scale").map((p) => p.code)).toEqual([
      "Y",
      "NAME_TAKEN",
      "MCE_REFUSED",
    ]);
    expect(afterEdit(problems, "name").map((p) => p.code)).toEqual([
      "TYPE_NOT_KNOWN",
      "X",
      "Y",
      "MCE_REFUSED",
    ]);
  });
});
