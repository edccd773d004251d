// Parts of the app loaded when first shown (the account screen, the snippet library, a
// history, the shortcuts' help). If the file cannot be loaded (Quarry was updated since the
// page opened, or the network dropped), that part says so instead of failing the screen.
import { type ComponentType, type LazyExoticComponent, lazy } from "react";

function Unavailable() {
  return (
    <p role="alert" className="notice error">
      This part of Quarry could not be loaded (it may have just been updated). Reload the page; your
      tabs and their SQL are kept.
    </p>
  );
}

export function lazyPart<P extends object>(
  load: () => Promise<ComponentType<P>>,
): LazyExoticComponent<ComponentType<P>> {
  return lazy(() =>
    load().then(
      (component) => ({ default: component }),
      () => ({ default: Unavailable as ComponentType<P> }),
    ),
  );
}
