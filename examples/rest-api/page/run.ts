/**
 * page/run.ts — a run's own page (/wizard/run?ws=&draft=&run=), where the wizard's "Run details"
 * links go: what the run does, its status or outcome, the worker's message, its progress while
 * active (it follows the draft with a client watch, like the wizard), its times and the provider
 * connection it was made against, and the audit entries that name it.
 */
import { createOnboardingClient, type DraftSnapshot, type OnboardingClient } from "../../../src/client/index.js";
import type { AuditEvent } from "../../../src/record/audit.js";
import type { CheckpointRun } from "../../../src/record/schema.js";
import type { RunView } from "../../../src/lifecycle/presenter.js";
import { byId, h, setText } from "./dom.js";
import { describeError } from "./errors.js";
import { namer, when } from "./format.js";
import { COMMAND_TEXT, STATE_LABELS, operationLabel, runLabel } from "./messages.js";
import { announce, info, showErrorNotice, wireNotices } from "./notices.js";
import { runCard } from "./runs.js";
import { loadSession, readConfig, wizardUrl } from "./session.js";
import type { WizardSession } from "./types.js";
import { describeUpdate } from "./updates.js";
import { wholeTrail } from "./history.js";

const capitalised = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);

type VerificationRun = NonNullable<DraftSnapshot["draft"]["verification"]>;

/** The run in the draft (verification, or any bootstrap run, superseded ones too). */
function findRun(snapshot: DraftSnapshot, runId: string): CheckpointRun | undefined {
  const { draft } = snapshot;
  if (draft.verification?.runId === runId) return draft.verification;
  return draft.bootstrap?.runs.find((run) => run.runId === runId);
}

/** The run as describeDraft shows it, or one built from the record (a run the view no longer lists). */
function viewOf(snapshot: DraftSnapshot, record: CheckpointRun): RunView {
  const listed = snapshot.view.checkpoints
    .flatMap((checkpoint) => checkpoint.runs)
    .find((run) => run.runId === record.runId);
  if (listed !== undefined) return listed;
  const tone = record.outcome === "succeeded" ? "success" : record.outcome === null ? "info" : "neutral";
  return {
    runId: record.runId,
    operation: record.operation,
    status: record.status,
    outcome: record.outcome,
    labelKey: "",
    tone,
    url: null,
    message: record.message ?? null,
    timedOut: record.timedOut === true,
    progress: null,
  };
}

function detailRows(snapshot: DraftSnapshot, record: CheckpointRun, current: boolean): [string, string][] {
  const verification = snapshot.draft.verification?.runId === record.runId ? (record as VerificationRun) : null;
  return [
    [
      "Onboarding",
      `${snapshot.draft.identity?.displayName ?? "New onboarding"} (${STATE_LABELS[snapshot.view.state]})`,
    ],
    ["Step", verification === null ? "Bootstrap" : "Verify access"],
    ["Status", runLabel(record)],
    ["Worker's message", record.message ?? "—"],
    ["Started", when(record.startedAt)],
    ["Finished", record.completedAt === null ? "not yet" : when(record.completedAt)],
    ...(verification === null
      ? []
      : ([
          ["Provider connection", `${verification.providerConnectionId} (revision ${verification.providerRevision})`],
        ] as [string, string][])),
    ["Counts for the onboarding", current ? "yes" : "no: a newer run or a provider change replaced it"],
    ["Run id", record.runId],
  ];
}

function renderRun(snapshot: DraftSnapshot, runId: string): void {
  const record = findRun(snapshot, runId);
  if (record === undefined) {
    setText(byId("title"), "Run no longer on the onboarding");
    setText(
      byId("subtitle"),
      "The provider connection was changed after this run, which cleared its results. Its history is below.",
    );
    byId("run").replaceChildren();
    byId("details").replaceChildren();
    return;
  }
  const run = viewOf(snapshot, record);
  const current = snapshot.view.checkpoints.some((checkpoint) =>
    checkpoint.runs.some((candidate) => candidate.runId === runId),
  );
  setText(byId("title"), `${operationLabel(record.operation)}: ${runLabel(record)}`);
  setText(
    byId("subtitle"),
    snapshot.draft.identity
      ? `Tenant ${snapshot.draft.identity.displayName} (${snapshot.draft.identity.tenantId})`
      : "",
  );
  document.title = `${operationLabel(record.operation)}: ${runLabel(record)} · Tenant onboarding`;
  document.body.dataset["status"] = record.status;
  document.body.dataset["outcome"] = record.outcome ?? "";
  const signature = JSON.stringify(run);
  const box = byId("run");
  if (box.dataset["signature"] !== signature) {
    box.dataset["signature"] = signature;
    box.replaceChildren(runCard(run, record, { link: false }));
  }
  byId("details").replaceChildren(
    ...detailRows(snapshot, record, current).flatMap(([term, value]) => [h("dt", {}, term), h("dd", {}, value)]),
  );
}

async function renderHistory(
  client: OnboardingClient,
  draftId: string,
  runId: string,
  nameOf: (id: string) => string,
): Promise<void> {
  const events = (await wholeTrail(client, draftId)).filter((event: AuditEvent) => event.runIds.includes(runId));
  const commands = COMMAND_TEXT as Readonly<Record<string, string>>;
  byId("activity").replaceChildren(
    ...events.map((event) =>
      h(
        "li",
        {},
        h("time", { datetime: event.at }, when(event.at)),
        ` ${capitalised(nameOf(event.actorId))} ${commands[event.commandType] ?? event.commandType}` +
          (event.toVersion === null ? "." : ` (version ${event.toVersion}).`),
      ),
    ),
  );
}

function follow(
  client: OnboardingClient,
  session: WizardSession,
  draftId: string,
  runId: string,
  pollMs: number | undefined,
): void {
  const nameOf = namer(session.operators);
  let last: DraftSnapshot | null = null;
  client.watch(draftId, {
    ...(pollMs === undefined ? {} : { pollIntervalMs: pollMs }),
    onChange(snapshot) {
      if (last !== null) announce(describeUpdate(last.view, snapshot.view));
      const versionChanged = last?.draft.version !== snapshot.draft.version;
      last = snapshot;
      renderRun(snapshot, runId);
      if (versionChanged) void renderHistory(client, draftId, runId, nameOf).catch(() => undefined);
    },
    onStatus(status) {
      document.body.dataset["watch"] = status;
      const text = {
        polling: "Live: the run is active.",
        idle: "The run is over.",
        offline: "Connection lost: trying again…",
        stopped: "The onboarding is finished.",
      };
      setText(byId("connection"), text[status]);
    },
    onError(error, retryInMs) {
      if (retryInMs === null)
        showErrorNotice(describeError(error, { actorName: session.actor.name, fieldOf: () => null }), () =>
          location.reload(),
        );
    },
  });
}

async function start(): Promise<void> {
  const config = readConfig();
  wireNotices();
  setText(byId("workspace-name"), config.ws);
  byId<HTMLAnchorElement>("home").href = wizardUrl(config, { draftId: null });
  byId<HTMLAnchorElement>("back").href = wizardUrl(config, {});
  if (config.draftId === null || config.runId === null) {
    info("This link names no run. Open a run from its onboarding's page.");
    return;
  }
  const session = await loadSession(config.actorId);
  setText(byId("acting-name"), session.actor.name);
  const client = createOnboardingClient({
    baseUrl: "",
    workspaceId: config.ws,
    headers: { "x-actor-id": session.actor.id },
  });
  follow(client, session, config.draftId, config.runId, config.pollMs);
}

void start();
