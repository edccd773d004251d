// Every shortcut, by group, written the way this platform writes keys.
import { Dialog } from "../ui/Dialog";
import { EDITOR_KEYS, formatKeys, type Group, isMac, SHORTCUTS } from "./registry";
import "./shortcuts.css";

const GROUPS: Group[] = ["Query", "Snippets", "Tabs", "Production", "Move around"];

export function HelpOverlay({ onClose }: { onClose: () => void }) {
  const mac = isMac();
  const keys = (text: string) => <kbd className="keys">{formatKeys(text, mac)}</kbd>;
  return (
    <Dialog title="Keyboard shortcuts" onClose={onClose} name="shortcuts" size="wide">
      <div className="shortcut-groups">
        {GROUPS.map((group) => (
          <section key={group} className="shortcut-group" aria-label={group}>
            <h3>{group}</h3>
            <dl>
              {SHORTCUTS.filter((s) => s.group === group).map((shortcut) => (
                <div key={shortcut.id} className="shortcut" data-shortcut={shortcut.id}>
                  <dt>{keys(shortcut.keys)}</dt>
                  <dd>
                    {shortcut.label}
                    {shortcut.notWhileTyping && <span className="muted"> (not while typing)</span>}
                  </dd>
                </div>
              ))}
            </dl>
          </section>
        ))}
        <section className="shortcut-group" aria-label="In the editor">
          <h3>In the editor</h3>
          <dl>
            {EDITOR_KEYS.map((entry) => (
              <div key={entry.keys} className="shortcut">
                <dt>{keys(entry.keys)}</dt>
                <dd>{entry.label}</dd>
              </div>
            ))}
          </dl>
        </section>
      </div>
      <p className="muted">Escape closes this and every other dialog.</p>
    </Dialog>
  );
}
