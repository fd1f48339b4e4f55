/**
 * page/notices.ts — the page's notices: the error notice (focused, so keyboard and screen reader
 * users land on it), the info notice, and the `aria-live` status line for polling updates.
 */
import { byId, h, setText, show } from "./dom.js";
import type { ErrorText } from "./errors.js";

/** Says `text` in the live region (polite; nothing for an empty text). */
export function announce(text: string): void {
  if (text !== "") setText(byId("live"), text);
}

/** Shows an info notice. */
export function info(text: string): void {
  setText(byId("info-text"), text);
  show(byId("info"), true);
}

/**
 * Shows the error notice with "Try again" when retrying can help, and moves focus to `focus`
 * (the first invalid input) or to the notice itself.
 */
export function showErrorNotice(text: ErrorText, retry: (() => void) | null, focus: HTMLElement | null = null): void {
  setText(byId("error-title"), text.title);
  setText(byId("error-detail"), text.detail);
  byId("error-items").replaceChildren(...text.items.map((item) => h("li", {}, item)));
  const retryButton = byId<HTMLButtonElement>("error-retry");
  show(retryButton, text.retry && retry !== null);
  retryButton.onclick = retry;
  show(byId("error"), true);
  (focus ?? byId("error")).focus();
}

/** Hides the error notice. */
export function hideErrorNotice(): void {
  show(byId("error"), false);
}

/** The dismiss buttons of the notices. */
export function wireNotices(): void {
  for (const id of ["error", "info"]) byId(`${id}-dismiss`).addEventListener("click", () => show(byId(id), false));
}
