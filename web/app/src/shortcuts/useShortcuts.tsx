// The page's one keydown listener: a key press that nothing else handled (the editor marks
// its own as handled) and that is a registered shortcut runs its handler. While a modal
// dialog is open only the dialog's keys count. Returns the help overlay (opened with "?").
import { type ReactNode, Suspense, useEffect, useRef, useState } from "react";
import { lazyPart } from "../ui/lazyPart";
import { isMac, isTypingTarget, type ShortcutId, shortcutFor } from "./registry";

const HelpOverlay = lazyPart(() => import("./HelpOverlay").then((m) => m.HelpOverlay));

export type Handlers = Partial<Record<Exclude<ShortcutId, "help">, () => void>>;

export function useShortcuts(handlers: Handlers): ReactNode {
  const ref = useRef(handlers);
  ref.current = handlers;
  const [help, setHelp] = useState(false);

  useEffect(() => {
    const mac = isMac();
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.defaultPrevented || event.isComposing) return;
      if (document.querySelector("dialog[open]")) return;
      const shortcut = shortcutFor(event, { mac, typing: isTypingTarget(event.target) });
      if (!shortcut) return;
      if (shortcut.id === "help") {
        event.preventDefault();
        setHelp(true);
        return;
      }
      const handler = ref.current[shortcut.id];
      if (!handler) return;
      event.preventDefault();
      if (!event.repeat) handler();
    };
    window.addEventListener("keydown", onKeyDown);
    return () => window.removeEventListener("keydown", onKeyDown);
  }, []);

  return help ? (
    <Suspense fallback={null}>
      <HelpOverlay onClose={() => setHelp(false)} />
    </Suspense>
  ) : null;
}
