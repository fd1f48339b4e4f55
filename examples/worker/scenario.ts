/**
 * A scripted run of the example worker on the in-memory store, showing:
 * - verification and bootstrap runs processed by a background worker;
 * - the stale-result rule: while a verification run is in flight, an operator edits the provider
 *   connection; the worker's late result comes back `ignored_stale_result` and changes nothing;
 * - a failed bootstrap operation re-run by the operator (the new run supersedes the old one);
 * - a late report on an activated draft coming back `ignored_terminal`.
 *
 * Run it: `npx tsx examples/worker/scenario.ts`
 */
import { pathToFileURL } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import {
  createOnboardingEngine,
  type Authorize,
  type CommandInput,
  type OnboardingDraft,
  type OnboardingEngine,
} from "../../src/index.js";
import { createMemoryStore } from "../../src/adapters/memory/index.js";
import { createWorker, type Job, type WorkerEvent, type WorkResult } from "./worker.js";

/** The example's actors: an operator (a person) and the worker's service identity. */
export interface ExampleActor {
  readonly id: string;
  readonly role: "operator" | "worker";
}

const operator: ExampleActor = { id: "operator-ana", role: "operator" };
const workerActor: ExampleActor = { id: "svc-onboarding-worker", role: "worker" };

/** Workers may only look and report results; operators may do everything else. */
const authorize: Authorize<ExampleActor> = (actor, capability) =>
  actor.role === "worker" ? capability === "view" || capability === "record_result" : capability !== "record_result";

/** What {@link runScenario} returns, for the test. */
export interface ScenarioResult {
  readonly workspaceId: string;
  readonly events: readonly WorkerEvent[];
  /** The worker's report on the verification run made against the old connection revision. */
  readonly staleReport: WorkerEvent;
  /** The late report on a run of an already completed draft. */
  readonly terminalReport: WorkerEvent;
  readonly contoso: OnboardingDraft;
  readonly fabrikam: OnboardingDraft;
  readonly engine: OnboardingEngine<ExampleActor>;
}

/** A promise with its resolve function, to hold simulated work until something happened. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open = (): void => {};
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

/** Runs the whole story; `log` receives one human-readable line per step. */
export async function runScenario(log: (line: string) => void = console.log): Promise<ScenarioResult> {
  const workspaceId = "ws-acme-msp";
  const engine = createOnboardingEngine<ExampleActor>({ store: createMemoryStore(), authorize });

  // Operator helper: always sends the version it just read (optimistic locking).
  const operate = async (draftId: string, command: CommandInput): Promise<OnboardingDraft> => {
    const current = await engine.get(workspaceId, draftId, { actor: operator });
    const result = await engine.execute(workspaceId, draftId, command, {
      actor: operator,
      expectedVersion: current.version,
    });
    log(
      `operator  ${command.type.padEnd(36)} ${draftName(result.draft)} -> ${describe(result.draft)} (${result.feedback})`,
    );
    return result.draft;
  };
  const names = new Map<string, string>();
  const draftName = (draft: OnboardingDraft): string => names.get(draft.id) ?? draft.id;
  const describe = (draft: OnboardingDraft): string =>
    `${draft.lifecycle.state}${draft.lifecycle.reason === null ? "" : `/${draft.lifecycle.reason}`} v${draft.version}`;

  // 1. Two customer tenants, each with a provider connection and a queued verification run.
  const create = async (tenantId: string, displayName: string, connectionId: string): Promise<string> => {
    const { draft } = await engine.create(workspaceId, { identity: { tenantId, displayName } }, { actor: operator });
    names.set(draft.id, displayName);
    await operate(draft.id, { type: "select_provider", connectionId });
    await operate(draft.id, { type: "start_verification" });
    return draft.id;
  };
  const contosoId = await create("tenant-contoso", "Contoso", "conn-contoso-1");
  const fabrikamId = await create("tenant-fabrikam", "Fabrikam", "conn-fabrikam-1");

  // 2. The worker. Contoso's verification is a slow cloud call (held by a gate here); while it is
  //    in flight the operator edits Contoso's provider connection inline.
  const contosoCallInFlight = gate();
  let operatorEdit: Promise<OnboardingDraft> | null = null;
  const events: WorkerEvent[] = [];
  let fabrikamBootstrapAttempts = 0;

  const verify = async (job: Job): Promise<WorkResult> => {
    if (job.draftId === contosoId && operatorEdit === null) {
      log(
        `worker    verifying ${draftName(job.draft)} against ${job.draft.provider?.connectionId} rev ${job.draft.provider?.revision} (slow call...)`,
      );
      operatorEdit = operate(contosoId, { type: "update_provider_connection", connectionId: "conn-contoso-1" }).finally(
        contosoCallInFlight.open,
      );
      await contosoCallInFlight.promise;
      return { outcome: "succeeded", message: "all permissions granted" };
    }
    await sleep(5);
    return { outcome: "succeeded", message: "all permissions granted" };
  };
  const bootstrap = async (job: Job): Promise<WorkResult> => {
    await sleep(5);
    if (
      job.draftId === fabrikamId &&
      job.run.operation === "assign_baseline_policies" &&
      ++fabrikamBootstrapAttempts === 1
    ) {
      throw new Error("provider API throttled the request (429)");
    }
    return { outcome: "succeeded" };
  };

  const worker = createWorker({
    engine,
    workspaceIds: [workspaceId],
    actor: workerActor,
    verify,
    bootstrap,
    onEvent: (event) => {
      events.push(event);
      const name = names.get(event.draftId) ?? event.draftId;
      log(
        `worker    ${`${event.kind} ${event.operation}`.padEnd(36)} ${name} reported ${event.reported} -> ${event.feedback} (${event.state})`,
      );
    },
  });

  log("--- tick 1: both verifications; Contoso's connection is edited while its run is in flight");
  await worker.tick();
  // Assigned inside the worker's callback, which the compiler's flow analysis does not follow.
  await (operatorEdit as Promise<OnboardingDraft> | null);
  const staleReport = events.find(
    (event) => event.draftId === contosoId && event.kind === "verification" && event.reported !== "running",
  );
  if (staleReport === undefined) throw new Error("the worker never reported Contoso's verification");
  log(
    `          => Contoso's late result was ${staleReport.feedback}: it was made against revision 1, the connection is now at revision 2`,
  );

  log("--- the operator re-verifies Contoso; tick 2");
  await operate(contosoId, { type: "start_verification" });
  await worker.tick();

  log("--- bootstrap both; Fabrikam's policy assignment fails once");
  const operations = ["create_admin_group", "assign_baseline_policies"];
  await operate(contosoId, { type: "start_bootstrap", operations });
  await operate(fabrikamId, { type: "start_bootstrap", operations });
  await worker.tick();
  await operate(fabrikamId, { type: "start_bootstrap", operations: ["assign_baseline_policies"] });
  await worker.tick();

  log("--- activation");
  await operate(contosoId, { type: "activate" });
  const fabrikam = await operate(fabrikamId, { type: "activate" });

  // 3. A duplicate delivery of an old report after activation: ignored, the draft stays completed.
  const lateRunId = staleReport.runId;
  const late = await engine.execute(
    workspaceId,
    contosoId,
    { type: "record_verification_result", runId: lateRunId, status: "completed", outcome: "failed" },
    { actor: workerActor },
  );
  const terminalReport: WorkerEvent = {
    ...staleReport,
    reported: "failed",
    feedback: late.feedback,
    state: late.state,
  };
  log(`worker    late duplicate report on Contoso -> ${late.feedback} (${late.state} v${late.version})`);

  const contoso = await engine.get(workspaceId, contosoId, { actor: operator });
  return { workspaceId, events, staleReport, terminalReport, contoso, fabrikam, engine };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runScenario();
}
