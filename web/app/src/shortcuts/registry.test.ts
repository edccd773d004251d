import type { KeyBinding } from "@codemirror/view";
import { describe, expect, it } from "vitest";
import { LIBRARY_KEYMAP } from "../editor/extensions";
import { TabsStore } from "../tabs/store";
import {
  clashes,
  formatKeys,
  isTypingTarget,
  type KeyPress,
  keysOf,
  matches,
  parseKeys,
  SHORTCUTS,
  type ShortcutId,
  shortcutFor,
} from "./registry";
import { cycleTab } from "./tabCommands";

function press(key: string, extra: Partial<KeyPress> = {}): KeyPress {
  return {
    key,
    code: extra.code ?? "",
    ctrlKey: false,
    metaKey: false,
    altKey: false,
    shiftKey: false,
    ...extra,
  };
}

const pc = { mac: false, typing: false };
const mac = { mac: true, typing: false };

describe("the shortcut registry", () => {
  it("parses keys into a chord", () => {
    expect(parseKeys("Mod+Shift+S")).toEqual({
      key: "s",
      mod: true,
      ctrl: false,
      alt: false,
      shift: true,
    });
    expect(parseKeys("?").key).toBe("?");
    expect(() => parseKeys("Hyper+X")).toThrow();
  });

  it("has no two shortcuts on the same keys, on either platform", () => {
    expect(clashes(false)).toEqual([]);
    expect(clashes(true)).toEqual([]);
    expect(new Set(SHORTCUTS.map((s) => s.id)).size).toBe(SHORTCUTS.length);
  });

  it("reads Mod as Ctrl on Windows and Linux and as ⌘ on macOS", () => {
    const ctrlS = press("s", { ctrlKey: true, code: "KeyS" });
    const cmdS = press("s", { metaKey: true, code: "KeyS" });
    expect(shortcutFor(ctrlS, pc)?.id).toBe("save");
    expect(shortcutFor(cmdS, pc)).toBeNull();
    expect(shortcutFor(cmdS, mac)?.id).toBe("save");
    expect(shortcutFor(ctrlS, mac)).toBeNull();
    expect(shortcutFor(press("S", { ctrlKey: true, shiftKey: true, code: "KeyS" }), pc)?.id).toBe(
      "saveAs",
    );
    expect(shortcutFor(press("Enter", { ctrlKey: true, code: "Enter" }), pc)?.id).toBe("run");
  });

  it("wants the modifiers exactly", () => {
    expect(shortcutFor(press("s", { code: "KeyS" }), pc)).toBeNull();
    expect(shortcutFor(press("s", { ctrlKey: true, altKey: true, code: "KeyS" }), pc)).toBeNull();
    expect(shortcutFor(press("F", { shiftKey: true, altKey: true, code: "KeyF" }), pc)?.id).toBe(
      "format",
    );
    expect(shortcutFor(press("f", { altKey: true, code: "KeyF" }), pc)).toBeNull();
  });

  it("knows a key by its physical key when Option or the layout changed what it types", () => {
    // Option+N on a Mac types a dead key; a Cyrillic layout types "ы" for S.
    expect(shortcutFor(press("Dead", { altKey: true, code: "KeyN" }), mac)?.id).toBe("newTab");
    expect(shortcutFor(press("ы", { ctrlKey: true, code: "KeyS" }), pc)?.id).toBe("save");
    expect(shortcutFor(press("‘", { altKey: true, code: "BracketRight" }), mac)?.id).toBe(
      "nextTab",
    );
  });

  it("opens the help with ?, however the layout types it, but not while typing", () => {
    const question = press("?", { shiftKey: true, code: "Slash" });
    expect(shortcutFor(question, pc)?.id).toBe("help");
    expect(shortcutFor(press("?", { code: "Minus" }), pc)?.id).toBe("help"); // AZERTY-like
    expect(shortcutFor(question, { mac: false, typing: true })).toBeNull();
    // Shortcuts with a modifier still work while typing.
    expect(shortcutFor(press("s", { ctrlKey: true }), { mac: false, typing: true })?.id).toBe(
      "save",
    );
  });

  it("matches a chord alone", () => {
    expect(matches(press("k", { ctrlKey: true }), parseKeys("Mod+K"), false)).toBe(true);
    expect(matches(press("k", { metaKey: true }), parseKeys("Mod+K"), true)).toBe(true);
    expect(matches(press("k", { ctrlKey: true }), parseKeys("Ctrl+K"), true)).toBe(true);
  });

  it("writes keys the platform's way", () => {
    expect(formatKeys("Mod+Shift+S", false)).toBe("Ctrl+Shift+S");
    expect(formatKeys("Mod+Shift+S", true)).toBe("⌘⇧S");
    expect(formatKeys("Alt+N", true)).toBe("⌥N");
    expect(formatKeys("?", false)).toBe("?");
  });

  it("says when focus is where keys type text", () => {
    expect(isTypingTarget({ tagName: "INPUT", type: "search" })).toBe(true);
    expect(isTypingTarget({ tagName: "INPUT", type: "checkbox" })).toBe(false);
    expect(isTypingTarget({ tagName: "TEXTAREA" })).toBe(true);
    expect(isTypingTarget({ tagName: "DIV", isContentEditable: true })).toBe(true);
    expect(isTypingTarget({ tagName: "BUTTON" })).toBe(false);
    expect(isTypingTarget(null)).toBe(false);
  });
});

/** The key presses a CodeMirror binding answers on a platform ("Mod-Shift-l", "Alt-A"). */
function codeMirrorPress(binding: KeyBinding, mac: boolean): KeyPress | null {
  const name = (mac ? binding.mac : binding.win) ?? binding.key;
  if (!name) return null;
  const parts = name.split(/-(?!$)/);
  let key = parts.pop()!;
  const press = press0(key);
  for (const part of parts) {
    if (part === "Mod") press[mac ? "metaKey" : "ctrlKey"] = true;
    else if (part === "Cmd" || part === "Meta") press.metaKey = true;
    else if (part === "Ctrl") press.ctrlKey = true;
    else if (part === "Alt") press.altKey = true;
    else if (part === "Shift") press.shiftKey = true;
  }
  // A single upper-case letter is that letter with Shift, as CodeMirror reads it.
  if (/^[A-Z]$/.test(key)) {
    press.shiftKey = true;
    key = key.toLowerCase();
  }
  press.key = key;
  press.code = /^[a-z]$/i.test(key) ? `Key${key.toUpperCase()}` : "";
  return press;
}

function press0(key: string): KeyPress {
  return { key, code: "", ctrlKey: false, metaKey: false, altKey: false, shiftKey: false };
}

/** What the editor binds: CodeMirror's keymaps and its own Run and Format keys. */
const EDITOR_BINDINGS: readonly KeyBinding[] = [
  { key: "Mod-Enter" },
  { key: "Shift-Alt-f" },
  ...LIBRARY_KEYMAP,
];

describe("the production screens' shortcuts", () => {
  const production = SHORTCUTS.filter((s) => s.group === "Production");

  it("are registered: the wizard, pre-flight, deploy, the deployments and back", () => {
    expect(production.map((s) => s.id)).toEqual([
      "openTargetWizard",
      "openPreflight",
      "openDeploy",
      "openDeployments",
      "backToScreen",
    ]);
    for (const [key, id] of [
      ["w", "openTargetWizard"],
      ["p", "openPreflight"],
      ["d", "openDeploy"],
      ["l", "openDeployments"],
      ["r", "backToScreen"],
    ] as const) {
      const upper = key.toUpperCase();
      const code = `Key${upper}`;
      const chord = { altKey: true, shiftKey: true, code };
      expect(shortcutFor(press(upper, chord), pc)?.id).toBe(id);
      // Option+Shift types a symbol on a Mac ("∏" for P): the physical key counts.
      expect(shortcutFor(press("∏", chord), mac)?.id).toBe(id);
      // They have modifiers, so they work from the editor and text fields too.
      expect(shortcutFor(press(upper, chord), { mac: false, typing: true })?.id).toBe(id);
      // Without Shift the key is another shortcut's or none.
      expect(shortcutFor(press(key, { altKey: true, code }), pc)?.id).not.toBe(id);
    }
    expect(keysOf("openDeploy", false)).toBe("Shift+Alt+D");
    expect(keysOf("openDeploy", true)).toBe("⇧⌥D");
  });
});

describe("the page's shortcuts and the editor's keys", () => {
  /** The page's shortcuts that CodeMirror's bindings' key presses are, from the editor. */
  function taken(onMac: boolean): ShortcutId[] {
    return EDITOR_BINDINGS.map((b) => codeMirrorPress(b, onMac))
      .filter((p): p is KeyPress => p !== null)
      .map((p) => shortcutFor(p, { mac: onMac, typing: true })?.id)
      .filter((id): id is ShortcutId => id !== undefined);
  }

  it("take no key CodeMirror's keymaps bind, on either platform, but Run and Format", () => {
    for (const onMac of [false, true]) {
      expect(taken(onMac).filter((id) => id !== "run" && id !== "format")).toEqual([]);
    }
    // The comparison finds a clash where there is one: Run and Format are the editor's keys
    // and the page's, on purpose (the editor marks them handled).
    expect(taken(false)).toEqual(expect.arrayContaining(["run", "format"]));
    expect(taken(true)).toEqual(expect.arrayContaining(["run", "format"]));
  });

  it("leave Alt+L to CodeMirror's select line: the library is Alt+S", () => {
    const selectLine = LIBRARY_KEYMAP.find((b) => b.key === "Alt-l");
    expect(selectLine?.run?.name).toBe("selectLine");
    const altL = codeMirrorPress(selectLine!, false)!;
    expect(altL).toMatchObject({ key: "l", altKey: true, ctrlKey: false, shiftKey: false });
    expect(shortcutFor(altL, { mac: false, typing: true })).toBeNull();
    const altS = press("s", { altKey: true, code: "KeyS" });
    expect(shortcutFor(altS, { mac: false, typing: true })?.id).toBe("openSnippets");
    // Option+S types "ß" on a Mac: the physical key counts.
    expect(shortcutFor(press("ß", { altKey: true, code: "KeyS" }), mac)?.id).toBe("openSnippets");
    expect(keysOf("openSnippets", false)).toBe("Alt+S");
    expect(keysOf("openSnippets", true)).toBe("⌥S");
  });
});

describe("tab commands", () => {
  it("cycle through the tabs both ways, wrapping around", () => {
    const store = new TabsStore("k", null);
    const first = store.active();
    const second = store.open();
    const third = store.open();
    expect(store.active().id).toBe(third.id);
    cycleTab(store, 1);
    expect(store.active().id).toBe(first.id);
    cycleTab(store, 1);
    expect(store.active().id).toBe(second.id);
    cycleTab(store, -1);
    cycleTab(store, -1);
    expect(store.active().id).toBe(third.id);
  });
});
