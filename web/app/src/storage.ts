// The browser's localStorage, when this frame may use it. Inside Marketing Cloud the app is a
// third-party frame: browsers that block third-party storage (private windows, strict
// settings) throw on any access. Then tabs and layout live for this page only.
import type { KeyValueStorage } from "./tabs/store";

let checked = false;
let usable: Storage | null = null;

export function browserStorage(): KeyValueStorage | null {
  if (!checked) {
    checked = true;
    try {
      const storage = window.localStorage;
      const probe = "quarry.probe";
      storage.setItem(probe, "1");
      storage.removeItem(probe);
      usable = storage;
    } catch {
      usable = null;
    }
  }
  return usable;
}
