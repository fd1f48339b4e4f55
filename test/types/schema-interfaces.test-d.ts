/**
 * The named interfaces of the record (src/record/draft.ts, src/record/audit.ts) and of the
 * commands (src/commands/*.ts) are exactly the read-only output of their zod schemas, which stay
 * the source of truth (commands: the input too). Each check is an identity (not
 * assignability), so a field added, removed, renamed, made optional or retyped on either side
 * fails `tsc` and `vitest --typecheck`.
 */
import { describe, expectTypeOf, it } from "vitest";
import type * as z from "zod/mini";
import type {
  ActivationSchema,
  AuditEventSchema,
  BootstrapSchema,
  CancellationSchema,
  CheckpointRunSchema,
  IdempotencyRecordSchema,
  IdentitySchema,
  InvalidationSchema,
  LifecycleSchema,
  OnboardingDraftSchema,
  ProviderSchema,
  VerificationSchema,
  ActivateCommandSchema,
  CancelCommandSchema,
  CommandSchema,
  ExpireRunCommandSchema,
  IdentifyCommandSchema,
  RecordBootstrapProgressCommandSchema,
  RecordBootstrapResultCommandSchema,
  RecordVerificationProgressCommandSchema,
  RecordVerificationResultCommandSchema,
  SelectProviderCommandSchema,
  StartBootstrapCommandSchema,
  StartVerificationCommandSchema,
  UpdateProviderConnectionCommandSchema,
  ActivateCommand,
  CancelCommand,
  Command,
  CommandInput,
  ExpireRunCommand,
  IdentifyCommand,
  RecordBootstrapProgressCommand,
  RecordBootstrapResultCommand,
  RecordVerificationProgressCommand,
  RecordVerificationResultCommand,
  SelectProviderCommand,
  StartBootstrapCommand,
  StartVerificationCommand,
  UpdateProviderConnectionCommand,
  Activation,
  ActivationOverride,
  AuditEvent,
  Bootstrap,
  Cancellation,
  CheckpointRun,
  DeepReadonly,
  IdempotencyRecord,
  Identity,
  Invalidation,
  InvalidationCause,
  Lifecycle,
  OnboardingDraft,
  Provider,
  Verification,
} from "../../src/index.js";

/** What a schema parses to, read-only all the way down (what sealed drafts are at run time). */
type Parsed<S extends z.ZodMiniType> = DeepReadonly<z.output<S>>;
/** What a caller may write for a schema, read-only all the way down. */
type Written<S extends z.ZodMiniType> = DeepReadonly<z.input<S>>;

/**
 * Strict identity of two types (the `Equals` idiom): unlike assignability it tells `readonly`,
 * optional and `| undefined` apart. A second check beside vitest's `toEqualTypeOf`, so `tsc`
 * alone (which also covers test/) catches drift.
 */
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const same = <A, B>(proof: Equals<A, B>): Equals<A, B> => proof;

describe("record interfaces equal their schemas", () => {
  it("the draft", () => {
    expectTypeOf<OnboardingDraft>().toEqualTypeOf<Parsed<typeof OnboardingDraftSchema>>();
    same<OnboardingDraft, Parsed<typeof OnboardingDraftSchema>>(true);
  });

  it("the lifecycle, identity and provider", () => {
    expectTypeOf<Lifecycle>().toEqualTypeOf<Parsed<typeof LifecycleSchema>>();
    expectTypeOf<Identity>().toEqualTypeOf<Parsed<typeof IdentitySchema>>();
    expectTypeOf<Provider>().toEqualTypeOf<Parsed<typeof ProviderSchema>>();
    same<Lifecycle, Parsed<typeof LifecycleSchema>>(true);
    same<Identity, Parsed<typeof IdentitySchema>>(true);
    same<Provider, Parsed<typeof ProviderSchema>>(true);
  });

  it("runs: a checkpoint run, the verification and bootstrap", () => {
    expectTypeOf<CheckpointRun>().toEqualTypeOf<Parsed<typeof CheckpointRunSchema>>();
    expectTypeOf<Verification>().toEqualTypeOf<Parsed<typeof VerificationSchema>>();
    expectTypeOf<Bootstrap>().toEqualTypeOf<Parsed<typeof BootstrapSchema>>();
    same<CheckpointRun, Parsed<typeof CheckpointRunSchema>>(true);
    same<Verification, Parsed<typeof VerificationSchema>>(true);
    same<Bootstrap, Parsed<typeof BootstrapSchema>>(true);
  });

  it("activation (and its override), cancellation, invalidation", () => {
    expectTypeOf<Activation>().toEqualTypeOf<Parsed<typeof ActivationSchema>>();
    expectTypeOf<ActivationOverride>().toEqualTypeOf<NonNullable<Parsed<typeof ActivationSchema>["override"]>>();
    expectTypeOf<Cancellation>().toEqualTypeOf<Parsed<typeof CancellationSchema>>();
    expectTypeOf<Invalidation>().toEqualTypeOf<Parsed<typeof InvalidationSchema>>();
    expectTypeOf<InvalidationCause>().toEqualTypeOf<Parsed<typeof InvalidationSchema>["cause"]>();
    same<Activation, Parsed<typeof ActivationSchema>>(true);
    same<Cancellation, Parsed<typeof CancellationSchema>>(true);
    same<Invalidation, Parsed<typeof InvalidationSchema>>(true);
  });

  it("the audit entry and the idempotency record", () => {
    expectTypeOf<AuditEvent>().toEqualTypeOf<Parsed<typeof AuditEventSchema>>();
    expectTypeOf<IdempotencyRecord>().toEqualTypeOf<Parsed<typeof IdempotencyRecordSchema>>();
    same<AuditEvent, Parsed<typeof AuditEventSchema>>(true);
    same<IdempotencyRecord, Parsed<typeof IdempotencyRecordSchema>>(true);
  });

  it("the identity check is strict: a near miss is not equal", () => {
    // The same fields written out are equal (an interface is compared by its members)...
    same<Provider, { readonly connectionId: string; readonly revision: number }>(true);
    // ...but a mutable field, a dropped `| undefined` or a missing field is told apart.
    same<Provider, { connectionId: string; readonly revision: number }>(false);
    same<Identity, { readonly tenantId: string; readonly displayName: string; readonly primaryDomain?: string }>(false);
    same<Cancellation, { readonly at: string; readonly by: string }>(false);
    expectTypeOf<Provider>().not.toEqualTypeOf<{ connectionId: string; readonly revision: number }>();
  });
});

describe("command interfaces equal their schemas (output and input)", () => {
  it("operator commands", () => {
    same<IdentifyCommand, Parsed<typeof IdentifyCommandSchema>>(true);
    same<IdentifyCommand, Written<typeof IdentifyCommandSchema>>(true);
    same<SelectProviderCommand, Parsed<typeof SelectProviderCommandSchema>>(true);
    same<SelectProviderCommand, Written<typeof SelectProviderCommandSchema>>(true);
    same<UpdateProviderConnectionCommand, Parsed<typeof UpdateProviderConnectionCommandSchema>>(true);
    same<UpdateProviderConnectionCommand, Written<typeof UpdateProviderConnectionCommandSchema>>(true);
    same<StartVerificationCommand, Parsed<typeof StartVerificationCommandSchema>>(true);
    same<StartVerificationCommand, Written<typeof StartVerificationCommandSchema>>(true);
    same<StartBootstrapCommand, Parsed<typeof StartBootstrapCommandSchema>>(true);
    same<StartBootstrapCommand, Written<typeof StartBootstrapCommandSchema>>(true);
    same<ActivateCommand, Parsed<typeof ActivateCommandSchema>>(true);
    same<ActivateCommand, Written<typeof ActivateCommandSchema>>(true);
    same<CancelCommand, Parsed<typeof CancelCommandSchema>>(true);
    same<CancelCommand, Written<typeof CancelCommandSchema>>(true);
    expectTypeOf<StartBootstrapCommand>().toEqualTypeOf<Parsed<typeof StartBootstrapCommandSchema>>();
    expectTypeOf<ActivateCommand>().toEqualTypeOf<Parsed<typeof ActivateCommandSchema>>();
  });

  it("worker commands", () => {
    same<RecordVerificationResultCommand, Parsed<typeof RecordVerificationResultCommandSchema>>(true);
    same<RecordVerificationResultCommand, Written<typeof RecordVerificationResultCommandSchema>>(true);
    same<RecordBootstrapResultCommand, Parsed<typeof RecordBootstrapResultCommandSchema>>(true);
    same<RecordBootstrapResultCommand, Written<typeof RecordBootstrapResultCommandSchema>>(true);
    same<RecordVerificationProgressCommand, Parsed<typeof RecordVerificationProgressCommandSchema>>(true);
    same<RecordVerificationProgressCommand, Written<typeof RecordVerificationProgressCommandSchema>>(true);
    same<RecordBootstrapProgressCommand, Parsed<typeof RecordBootstrapProgressCommandSchema>>(true);
    same<RecordBootstrapProgressCommand, Written<typeof RecordBootstrapProgressCommandSchema>>(true);
    same<ExpireRunCommand, Parsed<typeof ExpireRunCommandSchema>>(true);
    same<ExpireRunCommand, Written<typeof ExpireRunCommandSchema>>(true);
    expectTypeOf<RecordVerificationResultCommand>().toEqualTypeOf<
      Parsed<typeof RecordVerificationResultCommandSchema>
    >();
  });

  it("the unions: Command is the parsed union, CommandInput the written one", () => {
    expectTypeOf<Command>().toEqualTypeOf<Parsed<typeof CommandSchema>>();
    expectTypeOf<CommandInput>().toEqualTypeOf<Written<typeof CommandSchema>>();
    same<Command, Parsed<typeof CommandSchema>>(true);
    same<CommandInput, Written<typeof CommandSchema>>(true);
  });
});
