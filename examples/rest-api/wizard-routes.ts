/**
 * examples/rest-api — the wizard's own routes, beside the API (they are not part of the HTTP
 * contract of specs/openapi.json):
 *
 *   GET /wizard                   the wizard page (public/index.html): start or resume an onboarding, its five steps
 *   GET /wizard/run               a run's page (public/run.html): status, outcome, the worker's message, progress
 *   GET /wizard/session           who is acting, what they may do, the demo operators, the bootstrap operations
 *   GET /wizard/assets/wizard.css the stylesheet
 *   GET /wizard/assets/wizard.js  page/wizard.ts with onboarding-lifecycle/client, bundled by esbuild
 *   GET /wizard/assets/run.js     page/run.ts, likewise
 *
 * The scripts are bundled on their first request (and kept for the app's lifetime), so the
 * example needs no build step; `bundlePage` is there for a script that writes them to disk.
 */
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { Hono, type Context } from "hono";
import type { Actor } from "../../src/index.js";
import { capabilitiesOf, type DemoOperator } from "./operators.js";
import type { WizardSession } from "./page/types.js";

/** The bootstrap operations the wizard offers unless told otherwise (the worker knows them). */
export const DEFAULT_BOOTSTRAP_OPERATIONS: readonly string[] = ["create_admin_group", "assign_baseline_policies"];

/** The page scripts, by name (page/<name>.ts). */
export type PageEntry = "wizard" | "run";

/** Options of {@link wizardRoutes}. */
export interface WizardRoutesOptions {
  /** Who is acting (the app's). */
  readonly actorOf: (c: Context) => Actor;
  /** The operators and their capabilities, read on every request. */
  readonly operators: () => readonly DemoOperator[];
  /** The bootstrap operations the page offers. */
  readonly bootstrapOperations: readonly string[];
}

const PUBLIC = new URL("./public/", import.meta.url);
const PAGE = new URL("./page/", import.meta.url);

/** The link of a run's page, as the view's `runUrl` builds it. */
export function wizardRunUrl(workspaceId: string, draftId: string, runId: string): string {
  const query = new URLSearchParams({ ws: workspaceId, draft: draftId, run: runId });
  return `/wizard/run?${query.toString()}`;
}

/**
 * Bundles one page script with esbuild for the browser: the page's TypeScript, the client and
 * the package's error classes (no zod, no engine: the client imports only types of those).
 */
export async function bundlePage(entry: PageEntry, options: { readonly minify?: boolean } = {}): Promise<string> {
  const { build } = await import("esbuild");
  const result = await build({
    entryPoints: [fileURLToPath(new URL(`${entry}.ts`, PAGE))],
    bundle: true,
    write: false,
    platform: "browser",
    format: "esm",
    target: "es2022",
    minify: options.minify === true,
    sourcemap: options.minify === true ? false : "inline",
    legalComments: "none",
  });
  const [output] = result.outputFiles;
  if (output === undefined) throw new Error(`esbuild produced nothing for page/${entry}.ts`);
  return output.text;
}

const text = (body: string, type: string): Response =>
  new Response(body, { status: 200, headers: { "content-type": type, "cache-control": "no-store" } });

/** The wizard's routes, to mount under `/wizard`. */
export function wizardRoutes(options: WizardRoutesOptions): Hono {
  const routes = new Hono();
  const bundles = new Map<PageEntry, Promise<string>>();
  const script = (entry: PageEntry): Promise<string> => {
    let bundle = bundles.get(entry);
    if (bundle === undefined) {
      bundle = bundlePage(entry);
      bundles.set(entry, bundle);
      bundle.catch(() => bundles.delete(entry)); // a failed build is tried again on the next request
    }
    return bundle;
  };
  const file = async (name: string, type: string): Promise<Response> =>
    text(await readFile(new URL(name, PUBLIC), "utf8"), type);

  routes.get("/", () => file("index.html", "text/html; charset=utf-8"));
  routes.get("/run", () => file("run.html", "text/html; charset=utf-8"));
  routes.get("/assets/wizard.css", () => file("wizard.css", "text/css; charset=utf-8"));
  routes.get("/assets/wizard.js", async () => text(await script("wizard"), "text/javascript; charset=utf-8"));
  routes.get("/assets/run.js", async () => text(await script("run"), "text/javascript; charset=utf-8"));
  routes.get("/session", (c) => {
    const operators = options.operators();
    const { id } = options.actorOf(c);
    const known = operators.find((operator) => operator.id === id);
    const session: WizardSession = {
      actor: {
        id,
        name: known?.name ?? id,
        role: known?.role ?? (id.startsWith("worker") ? "Background worker" : "Unknown user"),
        capabilities: capabilitiesOf(operators, id),
      },
      operators,
      bootstrapOperations: options.bootstrapOperations,
    };
    return c.json(session, 200, { "cache-control": "no-store" });
  });
  return routes;
}
