// The account dialog's place in the workbench: `open()` from the top bar or Alt+A.
import { type ReactNode, useCallback, useState } from "react";
import { AccountDialog, type Section } from "./AccountDialog";

export function useAccount(onSignedOut: () => void): {
  open: (section?: Section) => void;
  element: ReactNode;
} {
  const [section, setSection] = useState<Section | null>(null);
  const open = useCallback((initial: Section = "profile") => setSection(initial), []);
  const element = section && (
    <AccountDialog initial={section} onClose={() => setSection(null)} onSignedOut={onSignedOut} />
  );
  return { open, element };
}
