/**
 * onboarding-lifecycle — the root entry: the vocabulary, the record schema and codec, the pure
 * lifecycle functions, the command reducers, the mutation engine, the outbox dispatcher, the
 * storage port and the error classes. Adapters, HTTP helpers and the testing kit are subpath exports.
 *
 * @packageDocumentation
 * @module onboarding-lifecycle
 */

// vocabulary
export {
  LifecycleState,
  LIFECYCLE_STATES,
  TERMINAL_STATES,
  isTerminal,
  isLifecycleState,
  type TerminalLifecycleState,
} from "./vocabulary/lifecycle-state.js";
export {
  Checkpoint,
  CHECKPOINTS,
  checkpointIndex,
  compareCheckpoints,
  nextCheckpoint,
  previousCheckpoint,
  isCheckpoint,
} from "./vocabulary/checkpoint.js";
export {
  RunStatus,
  RUN_STATUSES,
  isActiveRunStatus,
  RunOutcome,
  RUN_OUTCOMES,
  isSuccessfulOutcome,
  type ActiveRunStatus,
  type SuccessfulRunOutcome,
  type UnsuccessfulRunOutcome,
} from "./vocabulary/run.js";
export { LifecycleReason, LIFECYCLE_REASONS } from "./vocabulary/reason.js";
export { Capability, CAPABILITIES } from "./vocabulary/capability.js";
export {
  BlockerCode,
  BLOCKER_CODES,
  OVERRIDABLE_BLOCKER_CODES,
  type Blocker,
  type OverridableBlockerCode,
} from "./vocabulary/blocker.js";
export { OutboxKind, OutboxStatus, RunStartPolicy, type RunCheckpoint } from "./vocabulary/outbox.js";

// record
export {
  SCHEMA_VERSION,
  OnboardingDraftSchema,
  CheckpointRunSchema,
  VerificationSchema,
  BootstrapSchema,
  IdentitySchema,
  ProviderSchema,
  ActivationSchema,
  CancellationSchema,
  InvalidationSchema,
  LifecycleSchema,
  LifecycleStateSchema,
  CheckpointSchema,
  RunStatusSchema,
  RunOutcomeSchema,
  LifecycleReasonSchema,
  IdSchema,
  IdempotencyKeySchema,
  MAX_VERSION,
  MAX_BOOTSTRAP_OPERATIONS,
  MAX_BOOTSTRAP_RUNS,
  isStorableText,
  TimestampSchema,
  type OnboardingDraft,
  type DeepReadonly,
  type CheckpointRun,
  type Verification,
  type Bootstrap,
  type Identity,
  type Provider,
  type Activation,
  type ActivationOverride,
  type Cancellation,
  type Invalidation,
  type InvalidationCause,
  type Lifecycle,
} from "./record/schema.js";
export {
  AuditKind,
  AuditEventSchema,
  IdempotencyRecordSchema,
  type AuditEvent,
  type IdempotencyRecord,
  type IdempotencyOutcome,
} from "./record/audit.js";
export {
  toCloudEvent,
  DEFAULT_CLOUD_EVENT_TYPE_PREFIX,
  type CloudEvent,
  type CloudEventOptions,
} from "./record/cloud-event.js";
export {
  ErrorCode,
  ERROR_CATALOG,
  ValidationIssueSchema,
  BlockerSchema,
  OnboardingError,
  isOnboardingError,
  ValidationError,
  CorruptRecordError,
  VersionConflictError,
  TerminalDraftError,
  NotReadyError,
  AuthorizationError,
  DraftNotFoundError,
  IdempotencyKeyReuseError,
  InvalidTransitionError,
  OpenDraftExistsError,
  RetryExhaustedError,
  ConfigurationError,
  StoreError,
  SchemaVersionError,
  type SchemaVersionReason,
  UnknownRunError,
  RunActiveError,
  type ValidationIssue,
  type ValidationTarget,
  type ErrorData,
  type ErrorDeclaration,
} from "./record/errors.js";
export { toValidationIssues } from "./record/issues.js";

// lifecycle (pure)
export {
  deriveLifecycle,
  isVerificationStale,
  currentBootstrapRuns,
  lifecycleEquals,
  type LifecycleInput,
} from "./lifecycle/derive.js";
export {
  evaluateReadiness,
  toEpochMs,
  type Readiness,
  type ReadinessPolicy,
  type ReadinessOptions,
  type Instant,
} from "./lifecycle/readiness.js";
export {
  resolveStage,
  DEFAULT_POLL_INTERVAL_MS,
  type Stage,
  type StageOptions,
  type WizardStep,
  type PollingHint,
} from "./lifecycle/stage.js";
export {
  describeDraft,
  type DraftView,
  type CheckpointView,
  type RunView,
  type CheckpointStatus,
  type Tone,
  type DescribeOptions,
} from "./lifecycle/presenter.js";
export { parseDraft, safeParseDraft } from "./lifecycle/parse.js";
export { upgradeDraft } from "./lifecycle/upgrade.js";
export { encodeDraft } from "./lifecycle/encode.js";
export { sealDraft } from "./lifecycle/seal.js";
export { isSealedDraft } from "./lifecycle/sealed.js";
export { lifecycleDiagram, type LifecycleTransition } from "./lifecycle/diagram.js";

// commands (pure)
export {
  Feedback,
  defineCommand,
  type CommandContext,
  type CommandDefinition,
  type Decision,
} from "./commands/define.js";
export {
  CommandSchema,
  COMMAND_TYPES,
  isWorkerCommand,
  parseCommand,
  requiredCapabilities,
  applyCommand,
  type Command,
  type CommandInput,
  type CommandType,
  type CommandOf,
  type WorkerCommand,
  type OperatorCommand,
  type CommandOutcome,
} from "./commands/reducer.js";
export { IdentifyCommandSchema, type IdentifyCommand } from "./commands/identify.js";
export { SelectProviderCommandSchema, type SelectProviderCommand } from "./commands/select-provider.js";
export {
  UpdateProviderConnectionCommandSchema,
  type UpdateProviderConnectionCommand,
} from "./commands/update-provider-connection.js";
export {
  StartVerificationCommandSchema,
  DEFAULT_VERIFICATION_OPERATION,
  type StartVerificationCommand,
} from "./commands/start-verification.js";
export {
  RecordVerificationResultCommandSchema,
  type RecordVerificationResultCommand,
} from "./commands/record-verification-result.js";
export { StartBootstrapCommandSchema, type StartBootstrapCommand } from "./commands/start-bootstrap.js";
export {
  RecordBootstrapResultCommandSchema,
  type RecordBootstrapResultCommand,
} from "./commands/record-bootstrap-result.js";
export { ActivateCommandSchema, type ActivateCommand } from "./commands/activate.js";
export { CancelCommandSchema, type CancelCommand } from "./commands/cancel.js";
export {
  CreateDraftInputSchema,
  newDraft,
  parseCreateInput,
  type CreateDraftInput,
  type ParsedCreateDraftInput,
} from "./commands/create.js";
export { lifecycleTransitions } from "./commands/transitions.js";
export {
  RecordVerificationProgressCommandSchema,
  RecordBootstrapProgressCommandSchema,
  ExpireRunCommandSchema,
  type RecordVerificationProgressCommand,
  type RecordBootstrapProgressCommand,
  type ExpireRunCommand,
} from "./commands/run-reports.js";
export {
  OutboxEntrySchema,
  OutboxRecordSchema,
  RunCheckpointSchema,
  PercentSchema,
  MAX_OUTBOX_ERROR_LENGTH,
  newOutboxState,
  newOutboxRecord,
  type OutboxEntry,
  type OutboxRecord,
  type RunProgress,
} from "./record/outbox.js";

// engine
export { createOnboardingEngine, type OnboardingEngine, type RuntimeCommand } from "./engine/engine.js";
export type {
  Actor,
  Authorize,
  Clock,
  IdGenerator,
  RetryOptions,
  EngineOptions,
  ExecuteOptions,
  WorkerExecuteOptions,
  MutationResult,
  OnExisting,
  CreateOptions,
  CreateResult,
  EngineListOptions,
  ListDraftsOptions,
  ReadOptions,
  DraftPage,
} from "./engine/types.js";
export {
  DEFAULT_HISTORY_LIMIT,
  MAX_HISTORY_LIMIT,
  type HistoryOptions,
  type HistoryOrder,
  type HistoryPage,
} from "./engine/history.js";
export {
  DEFAULT_RUN_LEASE_MS,
  type ExpireStuckRunsOptions,
  type ExpireStuckRunsReport,
  type ExpiredRun,
} from "./engine/runs-api.js";
export type {
  EngineEvent,
  EngineEventBase,
  EngineEventType,
  EngineEventOf,
  EngineObserver,
  ObserverErrorHandler,
  DraftCreatedEvent,
  CommandCommittedEvent,
  CommandConflictEvent,
  CommandDeniedEvent,
  CommandReplayedEvent,
  ResultIgnoredEvent,
  IgnoredFeedback,
  CommandRetriedEvent,
  RunOutboxEvent,
  RunExpiredEvent,
  ChangedBy,
} from "./engine/events.js";
export { outcomeOfError, summarizeOperation } from "./engine/outcome.js";
export {
  EngineOperation,
  OperationOutcome,
  type EngineInstrumentation,
  type OperationTrace,
  type OperationInfo,
  type OperationEnd,
} from "./engine/instrumentation.js";

// dispatch
export {
  createDispatcher,
  type Dispatcher,
  type DispatcherOptions,
  type DispatchReport,
  type DispatchStore,
  type DispatchBackoff,
  type DispatchTask,
  type DeliveryContext,
  type ListDeadOptions,
  type DeadPage,
  type RequeueRef,
  type DispatchInstrumentation,
  type DeliveryTrace,
  type DeliveryInfo,
  type DeliveryEnd,
} from "./dispatch/index.js";

// store port
export {
  openTenantOf,
  type DraftStore,
  type WriteResult,
  type WriteRejection,
  type InsertInput,
  type CommitInput,
  type StoredDraft,
  type ListOptions,
  type ListPage,
  type AuditDirection,
  type AuditPageOptions,
  type StoredAuditEntry,
  type StoredChange,
} from "./store/port.js";
export type { StoreDescriptor, StoreCollections } from "./store/descriptor.js";
export { readAuditPage, auditSequence, sliceAuditTrail, type AuditPageRequest } from "./store/audit-paging.js";
export type {
  OutboxStore,
  OutboxEntries,
  OutboxSettlement,
  OutboxEntryRef,
  OutboxPage,
  ClaimOutboxInput,
  SettleOutboxInput,
  ReleaseOutboxInput,
  ListOutboxOptions,
  RunProgressInput,
  FindStaleRunsInput,
  SettleRunsInput,
} from "./store/outbox.js";
export type {
  SchemaMigration,
  SchemaStatus,
  MigrateResult,
  MigrateOptions,
  StoreMigrateOptions,
} from "./store/migrations.js";
export { encodeCursor, decodeCursor, type CursorPosition } from "./store/cursor.js";
// the admin half of the port (operators' tooling: the CLI)
export {
  MAX_SCAN_LIMIT,
  checkScanLimit,
  encodeScanCursor,
  scanCursor,
  draftCounts,
  type StoreAdmin,
  type DraftCounts,
  type DraftCountOptions,
  type ScannedDraft,
  type ScanDraftsOptions,
  type ScanPage,
  type RewriteDraftInput,
  type RewriteResult,
} from "./store/admin.js";
export { assertIdentifier } from "./store/sql.js";
export { wrapStoreErrors, loadDriver } from "./store/errors.js";
export { parseStoredJson } from "./store/json.js";
export { idempotencyCutoff, outboxCutoff } from "./store/cutoff.js";
export { DEFAULT_DOCUMENT_CACHE_SIZE } from "./engine/document-cache.js";
// outbox paging helpers for adapters (issue 11)
export {
  OUTBOX_LIMITS,
  checkOutboxStatus,
  outboxStatusError,
  outboxInstantMs,
  checkOutboxLimit,
  compareOutboxOrder,
  encodeOutboxCursor,
  outboxCursor,
  type OutboxCursorPosition,
} from "./store/outbox-paging.js";
