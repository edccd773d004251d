// Short-lived notes at the bottom of the page ("Deleted. Undo"), with at most one action each.
// One store for the page; <Toasts /> shows it.

export interface Toast {
  id: number;
  text: string;
  action: { label: string; run: () => void } | null;
}

export class Toaster {
  private toasts: readonly Toast[] = [];
  private readonly listeners = new Set<() => void>();
  private readonly timers = new Map<number, ReturnType<typeof setTimeout>>();
  private next = 0;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): readonly Toast[] => this.toasts;

  /**
   * Show a note for `ms` milliseconds (a note with an action longer: there is something to
   * do); running its action dismisses it. At most three at once. Returns its id.
   */
  show(text: string, action: Toast["action"] = null, ms = action ? 10_000 : 5_000): number {
    this.next += 1;
    const id = this.next;
    for (const old of this.toasts.slice(0, -2)) this.dismiss(old.id);
    this.toasts = [...this.toasts, { id, text, action }];
    this.timers.set(
      id,
      setTimeout(() => this.dismiss(id), ms),
    );
    this.emit();
    return id;
  }

  act(id: number): void {
    const toast = this.toasts.find((t) => t.id === id);
    this.dismiss(id);
    toast?.action?.run();
  }

  dismiss(id: number): void {
    const timer = this.timers.get(id);
    if (timer !== undefined) clearTimeout(timer);
    this.timers.delete(id);
    if (!this.toasts.some((t) => t.id === id)) return;
    this.toasts = this.toasts.filter((t) => t.id !== id);
    this.emit();
  }

  private emit(): void {
    for (const listener of this.listeners) listener();
  }
}

export const toaster = new Toaster();
