// The account dialog's place in the workbench: `open()` from the top bar or Alt+A.
import { type ReactNode, Suspense, useCallback, useState } from "react";
import { lazyPart } from "../ui/lazyPart";
import type { Section } from "./AccountDialog";

// Loaded when first opened: the account screen is not needed to write and run queries.
const AccountDialog = lazyPart(() => import("./AccountDialog").then((m) => m.AccountDialog));

export function useAccount(onSignedOut: (note?: string) => void): {
  open: (section?: Section) => void;
  element: ReactNode;
} {
  const [section, setSection] = useState<Section | null>(null);
  const open = useCallback((initial: Section = "profile") => setSection(initial), []);
  const element = section && (
    <Suspense fallback={null}>
      <AccountDialog initial={section} onClose={() => setSection(null)} onSignedOut={onSignedOut} />
    </Suspense>
  );
  return { open, element };
}
