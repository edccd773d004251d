// A screen that failed shows a plain sentence and a way on, never a stack trace.
import { Component, type ReactNode } from "react";

export class ErrorBoundary extends Component<{ children: ReactNode }, { failed: boolean }> {
  override state = { failed: false };

  static getDerivedStateFromError(): { failed: boolean } {
    return { failed: true };
  }

  override render() {
    if (this.state.failed) {
      return (
        <main className="screen">
          <h1>Quarry</h1>
          <p role="alert" data-field="error">
            Something went wrong on this screen. Reload the page to carry on; your tabs and their
            SQL are kept.
          </p>
          <button type="button" onClick={() => window.location.reload()}>
            Reload
          </button>
        </main>
      );
    }
    return this.props.children;
  }
}
