// Copying a secret to the clipboard from inside Marketing Cloud's frame: the asynchronous
// Clipboard API needs a permission the frame is not given, so the copy goes through the copy
// event of a focused field (`onCopy` on that field sets the text), as the results grid does.

/** Select the field's text and run the browser's copy on it; false when the browser refused. */
export function copyFrom(field: HTMLInputElement | null): boolean {
  if (!field) return false;
  field.focus();
  field.select();
  try {
    return document.execCommand("copy");
  } catch {
    return false;
  }
}
