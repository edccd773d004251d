import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { type ControlProps, controlProps, Field, type FieldMessage, TextField } from "./Field";

const error: FieldMessage = {
  message: "A data extension with this name exists.",
  severity: "error",
};
const warning: FieldMessage = { message: "Longer than most.", severity: "warning" };

function html(props: Partial<Parameters<typeof Field>[0]> = {}): string {
  return renderToStaticMarkup(
    createElement(Field, {
      id: "f-name",
      label: "Name",
      control: (p: ControlProps) => createElement("input", { ...p, type: "text" }),
      ...props,
    }),
  );
}

function attribute(markup: string, tag: string, name: string): string | null {
  const element = new RegExp(`<${tag}\\b[^>]*>`).exec(markup)?.[0] ?? "";
  return new RegExp(`\\s${name}="([^"]*)"`).exec(element)?.[1] ?? null;
}

describe("controlProps", () => {
  it("describes the control by its hint and its messages, in that order", () => {
    expect(controlProps({ id: "x", hint: true, messages: [warning], required: false })).toEqual({
      id: "x",
      "aria-describedby": "x-hint x-messages",
    });
    expect(controlProps({ id: "x", hint: false, messages: [], required: false })).toEqual({
      id: "x",
    });
  });

  it("is invalid only while an error is shown, and says when it is required", () => {
    expect(controlProps({ id: "x", hint: false, messages: [warning], required: true })).toEqual({
      id: "x",
      "aria-describedby": "x-messages",
      "aria-required": true,
    });
    expect(
      controlProps({ id: "x", hint: false, messages: [warning, error], required: false }),
    ).toMatchObject({ "aria-invalid": true });
  });
});

describe("Field", () => {
  it("labels the control, which the hint and the messages describe", () => {
    const markup = html({ hint: "Unique in this BU.", messages: [error], path: "name" });
    expect(attribute(markup, "label", "for")).toBe("f-name");
    expect(attribute(markup, "input", "id")).toBe("f-name");
    expect(attribute(markup, "input", "aria-describedby")).toBe("f-name-hint f-name-messages");
    expect(attribute(markup, "input", "aria-invalid")).toBe("true");
    expect(attribute(markup, "span", "id")).toBe("f-name-hint");
    expect(attribute(markup, "ul", "id")).toBe("f-name-messages");
    expect(attribute(markup, "ul", "data-path")).toBe("name");
    expect(markup).toContain('<li class="q-error"><span class="visually-hidden">Error: </span>');
    expect(markup).toContain(error.message);
  });

  it("marks a required field without changing its label's text", () => {
    const markup = html({ required: true });
    expect(attribute(markup, "label", "class")).toBe("q-required");
    expect(markup).toContain(">Name</label>");
    expect(attribute(markup, "input", "aria-required")).toBe("true");
    expect(attribute(html(), "label", "class")).toBeNull();
    expect(attribute(html(), "input", "aria-required")).toBeNull();
  });

  it("shows no hint or messages it was not given, and a warning leaves the control valid", () => {
    const bare = html();
    expect(bare).not.toContain("q-hint");
    expect(bare).not.toContain("<ul");
    expect(attribute(bare, "input", "aria-describedby")).toBeNull();
    const warned = html({ messages: [warning] });
    expect(attribute(warned, "input", "aria-invalid")).toBeNull();
    expect(warned).toContain(
      '<li class="q-warning"><span class="visually-hidden">Warning: </span>',
    );
  });

  it("puts what it is given below the messages", () => {
    const markup = renderToStaticMarkup(
      createElement(
        Field,
        {
          id: "f",
          label: "Folder",
          messages: [error],
          control: (p: ControlProps) => createElement("input", p),
        },
        createElement("div", { id: "picker" }),
      ),
    );
    expect(markup.indexOf('id="picker"')).toBeGreaterThan(markup.indexOf("</ul>"));
  });
});

describe("TextField", () => {
  it("is a Field over a one-line input carrying the value and the dialog's first focus", () => {
    const markup = renderToStaticMarkup(
      createElement(TextField, {
        id: "t",
        label: "Key",
        required: true,
        hint: "At most 36 characters.",
        value: "dep_1",
        maxLength: 36,
        autoFocus: true,
        onChange: () => undefined,
      }),
    );
    expect(attribute(markup, "input", "type")).toBe("text");
    expect(attribute(markup, "input", "value")).toBe("dep_1");
    expect(attribute(markup, "input", "maxLength")).toBe("36");
    expect(attribute(markup, "input", "data-autofocus")).toBe("true");
    expect(attribute(markup, "input", "aria-describedby")).toBe("t-hint");
    expect(attribute(markup, "input", "aria-required")).toBe("true");
    const plain = renderToStaticMarkup(
      createElement(TextField, {
        id: "u",
        label: "End",
        type: "datetime-local",
        value: "",
        onChange: () => undefined,
      }),
    );
    expect(attribute(plain, "input", "type")).toBe("datetime-local");
    expect(attribute(plain, "input", "data-autofocus")).toBeNull();
    expect(attribute(plain, "input", "placeholder")).toBeNull();
  });
});
