/**
 * page/session.ts — where the page is and who is acting: the URL's `ws` (workspace), `draft`,
 * `run`, `as` (the demo operator; remembered in localStorage) and `pollMs` (a shorter polling
 * interval than the server's 5 s, for tests), and the server's session answer (`GET /wizard/session`).
 */
import type { WizardSession } from "./types.js";

/** The page's parameters. */
export interface PageConfig {
  /** The workspace (default `demo`). */
  readonly ws: string;
  /** The draft on screen, or `null` on the start screen. */
  readonly draftId: string | null;
  /** The run (run page only). */
  readonly runId: string | null;
  /** Who is acting (the `x-actor-id` the client sends). */
  readonly actorId: string;
  /** Polling interval override, in ms. */
  readonly pollMs: number | undefined;
}

const REMEMBERED = "wizard.operator";

/** Reads the page's parameters from its URL. */
export function readConfig(): PageConfig {
  const params = new URLSearchParams(location.search);
  const poll = Number(params.get("pollMs"));
  let remembered: string | null = null;
  try {
    remembered = localStorage.getItem(REMEMBERED);
  } catch {
    // storage may be off: the default operator then
  }
  return {
    ws: params.get("ws") || "demo",
    draftId: params.get("draft") || null,
    runId: params.get("run") || null,
    actorId: params.get("as") || remembered || "operator",
    pollMs: Number.isInteger(poll) && poll >= 50 ? poll : undefined,
  };
}

/** A link within the wizard that keeps the workspace, the operator and the polling override. */
export function wizardUrl(
  config: PageConfig,
  target: { readonly draftId?: string | null; readonly actorId?: string },
): string {
  const params = new URLSearchParams({ ws: config.ws });
  const draftId = target.draftId === undefined ? config.draftId : target.draftId;
  if (draftId !== null) params.set("draft", draftId);
  params.set("as", target.actorId ?? config.actorId);
  if (config.pollMs !== undefined) params.set("pollMs", String(config.pollMs));
  return `/wizard?${params.toString()}`;
}

/** Remembers the chosen operator for the next visit. */
export function rememberOperator(actorId: string): void {
  try {
    localStorage.setItem(REMEMBERED, actorId);
  } catch {
    // storage may be off
  }
}

/** Asks the server who `actorId` is and what they may do. */
export async function loadSession(actorId: string): Promise<WizardSession> {
  const response = await fetch("/wizard/session", { headers: { "x-actor-id": actorId, accept: "application/json" } });
  if (!response.ok) throw new Error(`The session could not be read (HTTP ${response.status}).`);
  return (await response.json()) as WizardSession;
}
