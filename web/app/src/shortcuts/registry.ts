// Every keyboard shortcut of the app, in one place: what the help overlay lists and what the
// page's one keydown listener (useShortcuts) dispatches.
//
// The editor's own keymap (editor/extensions.ts) binds Run and Format while it has focus and
// marks those key presses handled (defaultPrevented); the page listener skips handled presses,
// so the same keys work everywhere else without running twice. Every other shortcut takes keys
// none of CodeMirror's keymaps binds on either platform (a test compares them), so it works
// from the editor too and the editor loses none of its commands: the library is Alt+S because
// Alt+L is CodeMirror's "select line" on Windows and Linux. Keys browsers keep for themselves
// (Ctrl+N, Ctrl+T, Ctrl+W, Ctrl+Tab) are avoided: tab commands use Alt. The production screens
// use Shift+Alt and a letter browsers do not take (Shift+Alt+T and +B focus Chrome's toolbars).

export type ShortcutId =
  | "run"
  | "format"
  | "save"
  | "saveAs"
  | "newTab"
  | "closeTab"
  | "nextTab"
  | "previousTab"
  | "focusEditor"
  | "focusSearch"
  | "openSnippets"
  | "snippetHistory"
  | "openAccount"
  | "openTargetWizard"
  | "openPreflight"
  | "openDeploy"
  | "openDeployments"
  | "backToScreen"
  | "help";

export type Group = "Query" | "Tabs" | "Snippets" | "Production" | "Move around" | "Editor";

export interface Shortcut {
  id: ShortcutId;
  /** "Mod" is ⌘ on macOS and Ctrl elsewhere; keys joined with "+". */
  keys: string;
  label: string;
  group: Group;
  /** Ignored while a text field or the editor has focus (keys that type a character). */
  notWhileTyping?: boolean;
}

export const SHORTCUTS: readonly Shortcut[] = [
  { id: "run", keys: "Mod+Enter", label: "Run the query (or the selection)", group: "Query" },
  { id: "format", keys: "Shift+Alt+F", label: "Format the SQL", group: "Query" },
  { id: "save", keys: "Mod+S", label: "Save the tab as its snippet", group: "Snippets" },
  { id: "saveAs", keys: "Mod+Shift+S", label: "Save as a new snippet", group: "Snippets" },
  { id: "openSnippets", keys: "Alt+S", label: "Open the snippet library", group: "Snippets" },
  { id: "snippetHistory", keys: "Alt+H", label: "History of the tab's snippet", group: "Snippets" },
  { id: "newTab", keys: "Alt+N", label: "New query tab", group: "Tabs" },
  { id: "closeTab", keys: "Alt+W", label: "Close the tab", group: "Tabs" },
  { id: "nextTab", keys: "Alt+]", label: "Next tab", group: "Tabs" },
  { id: "previousTab", keys: "Alt+[", label: "Previous tab", group: "Tabs" },
  {
    id: "openTargetWizard",
    keys: "Shift+Alt+W",
    label: "A target data extension for the tab's query (the wizard)",
    group: "Production",
  },
  {
    id: "openPreflight",
    keys: "Shift+Alt+P",
    label: "Pre-flight check of the tab's query",
    group: "Production",
  },
  { id: "openDeploy", keys: "Shift+Alt+D", label: "Deploy the tab's query", group: "Production" },
  {
    id: "openDeployments",
    keys: "Shift+Alt+L",
    label: "The deployments made from this business unit",
    group: "Production",
  },
  {
    id: "backToScreen",
    keys: "Shift+Alt+R",
    label: "Back to the screen a finding's “show in SQL” left",
    group: "Production",
  },
  { id: "focusEditor", keys: "Alt+Q", label: "Go to the editor", group: "Move around" },
  { id: "focusSearch", keys: "Mod+K", label: "Search data extensions", group: "Move around" },
  { id: "openAccount", keys: "Alt+A", label: "Account and API tokens", group: "Move around" },
  {
    id: "help",
    keys: "?",
    label: "Show these shortcuts",
    group: "Move around",
    notWhileTyping: true,
  },
];

/** The editor's own keys, listed for reference (CodeMirror handles them). */
export const EDITOR_KEYS: readonly { keys: string; label: string }[] = [
  { keys: "Ctrl+Space", label: "Completions" },
  { keys: "Mod+F", label: "Find and replace" },
  { keys: "Mod+Z", label: "Undo" },
  { keys: "Mod+Shift+Z", label: "Redo" },
  { keys: "Mod+/", label: "Comment the line" },
];

export interface Chord {
  key: string;
  mod: boolean;
  ctrl: boolean;
  alt: boolean;
  shift: boolean;
}

/** "Mod+Shift+S" → its parts; the key lower-cased ("s", "enter", "]", "?"). */
export function parseKeys(keys: string): Chord {
  const parts = keys === "+" ? ["+"] : keys.split("+");
  const key = parts.pop()!.toLowerCase();
  const chord: Chord = { key, mod: false, ctrl: false, alt: false, shift: false };
  for (const part of parts) {
    if (part === "Mod") chord.mod = true;
    else if (part === "Ctrl") chord.ctrl = true;
    else if (part === "Alt") chord.alt = true;
    else if (part === "Shift") chord.shift = true;
    else throw new Error(`unknown modifier ${part} in ${keys}`);
  }
  return chord;
}

export interface KeyPress {
  key: string;
  code: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  shiftKey: boolean;
}

/**
 * The key a physical key stands for when the layout or a modifier changes `key` (Option+N on
 * macOS types "˜", a Cyrillic layout types "ы" for S): letters, digits and brackets by `code`.
 */
function keyFromCode(code: string): string | null {
  if (/^Key[A-Z]$/.test(code)) return code.slice(3).toLowerCase();
  if (/^Digit[0-9]$/.test(code)) return code.slice(5);
  if (code === "BracketLeft") return "[";
  if (code === "BracketRight") return "]";
  if (code === "Slash") return "/";
  return null;
}

/** Whether a key press is this chord (exact modifiers; "Mod" per platform). */
export function matches(press: KeyPress, chord: Chord, mac: boolean): boolean {
  const wantMeta = mac && chord.mod;
  const wantCtrl = chord.ctrl || (!mac && chord.mod);
  if (press.metaKey !== wantMeta || press.ctrlKey !== wantCtrl || press.altKey !== chord.alt) {
    return false;
  }
  const key = press.key.toLowerCase();
  // A symbol typed with Shift ("?") is matched by what it types, whatever Shift did.
  const symbol = chord.key.length === 1 && !/[a-z0-9[\]]/.test(chord.key);
  if (symbol && !chord.alt && !chord.mod && !chord.ctrl) return key === chord.key;
  if (press.shiftKey !== chord.shift) return false;
  return key === chord.key || keyFromCode(press.code) === chord.key;
}

const PARSED = new Map<ShortcutId, Chord>(SHORTCUTS.map((s) => [s.id, parseKeys(s.keys)]));

export interface Context {
  mac: boolean;
  /** The key press happened in a text field or the editor. */
  typing: boolean;
}

/** The shortcut a key press means here, if any. */
export function shortcutFor(press: KeyPress, context: Context): Shortcut | null {
  for (const shortcut of SHORTCUTS) {
    if (shortcut.notWhileTyping && context.typing) continue;
    if (matches(press, PARSED.get(shortcut.id)!, context.mac)) return shortcut;
  }
  return null;
}

/** The keys of a shortcut as this platform writes them ("⇧⌥D", "Shift+Alt+D"). */
export function keysOf(id: ShortcutId, mac: boolean): string {
  const shortcut = SHORTCUTS.find((s) => s.id === id);
  return shortcut ? formatKeys(shortcut.keys, mac) : "";
}

/** How to write keys for people on this platform: "⌘+S" on macOS, "Ctrl+S" elsewhere. */
export function formatKeys(keys: string, mac: boolean): string {
  const parts = keys === "+" ? ["+"] : keys.split("+");
  return parts
    .map((part) => {
      if (part === "Mod") return mac ? "⌘" : "Ctrl";
      if (part === "Alt") return mac ? "⌥" : "Alt";
      if (part === "Shift") return mac ? "⇧" : "Shift";
      return part;
    })
    .join(mac ? "" : "+");
}

/** The ids bound to more than one shortcut's keys (a registry check, for the tests). */
export function clashes(mac: boolean): string[] {
  const seen = new Map<string, ShortcutId>();
  const found: string[] = [];
  for (const shortcut of SHORTCUTS) {
    const c = parseKeys(shortcut.keys);
    const id = [
      c.key,
      mac && c.mod ? "meta" : "",
      c.ctrl || (!mac && c.mod) ? "ctrl" : "",
      c.alt ? "alt" : "",
      c.shift ? "shift" : "",
    ].join("-");
    const other = seen.get(id);
    if (other) found.push(`${other}/${shortcut.id}`);
    else seen.set(id, shortcut.id);
  }
  return found;
}

export function isMac(platform: string = navigator.platform): boolean {
  return /mac|iphone|ipad/i.test(platform);
}

/** Whether focus is somewhere keys type text: inputs, text areas, selects, the editor. */
export function isTypingTarget(target: unknown): boolean {
  const element = target as { isContentEditable?: boolean; tagName?: unknown; type?: unknown };
  if (!element || typeof element.tagName !== "string") return false;
  if (element.isContentEditable) return true;
  const tag = element.tagName.toUpperCase();
  if (tag === "TEXTAREA" || tag === "SELECT") return true;
  if (tag !== "INPUT") return false;
  return !NOT_TEXT_INPUTS.has(String(element.type ?? "text"));
}

const NOT_TEXT_INPUTS = new Set([
  "button",
  "checkbox",
  "radio",
  "submit",
  "reset",
  "range",
  "color",
]);
