/**
 * The named problem interfaces of `onboarding-lifecycle/http` (src/http/contract.ts) are exactly
 * the output of their zod schemas, which stay the source of truth (derived from `ERROR_CATALOG`),
 * and `ProblemDetails`, now a union of those names (so the API reference links to them instead of
 * expanding sixteen object types inline), is still exactly what `ProblemDetailsSchema` parses to.
 * Each check is an identity, not assignability, so drift on either side fails `tsc` and
 * `vitest --typecheck`.
 */
import { describe, expectTypeOf, it } from "vitest";
import type * as z from "zod/mini";
import type {
  BadRequestProblem,
  BadRequestProblemSchema,
  DraftNotFoundProblem,
  DraftNotFoundProblemSchema,
  ForbiddenProblem,
  ForbiddenProblemSchema,
  IdempotencyKeyReuseProblem,
  IdempotencyKeyReuseProblemSchema,
  InternalProblem,
  InternalProblemSchema,
  InvalidTransitionProblem,
  InvalidTransitionProblemSchema,
  NotReadyProblem,
  NotReadyProblemSchema,
  OpenDraftExistsProblem,
  OpenDraftExistsProblemSchema,
  PROBLEM_SCHEMAS,
  PreconditionFailedProblem,
  PreconditionFailedProblemSchema,
  PreconditionRequiredProblem,
  PreconditionRequiredProblemSchema,
  ProblemDetails,
  ProblemDetailsSchema,
  ProblemOf,
  RetryExhaustedProblem,
  RetryExhaustedProblemSchema,
  RunActiveProblem,
  RunActiveProblemSchema,
  TerminalDraftProblem,
  TerminalDraftProblemSchema,
  UnknownRunProblem,
  UnknownRunProblemSchema,
  ValidationProblem,
  ValidationProblemSchema,
  VersionConflictProblem,
  VersionConflictProblemSchema,
} from "../../src/http/index.js";
import type { ProblemDetails as ClientProblemDetails } from "../../src/client/index.js";

/** Strict identity of two types (the `Equals` idiom), so `tsc` alone catches drift too. */
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const same = <A, B>(proof: Equals<A, B>): Equals<A, B> => proof;

/** Every problem interface by its OpenAPI component name (the keys of `PROBLEM_SCHEMAS`). */
interface Named {
  ValidationProblem: ValidationProblem;
  VersionConflictProblem: VersionConflictProblem;
  TerminalDraftProblem: TerminalDraftProblem;
  NotReadyProblem: NotReadyProblem;
  ForbiddenProblem: ForbiddenProblem;
  DraftNotFoundProblem: DraftNotFoundProblem;
  UnknownRunProblem: UnknownRunProblem;
  RunActiveProblem: RunActiveProblem;
  IdempotencyKeyReuseProblem: IdempotencyKeyReuseProblem;
  InvalidTransitionProblem: InvalidTransitionProblem;
  OpenDraftExistsProblem: OpenDraftExistsProblem;
  RetryExhaustedProblem: RetryExhaustedProblem;
  InternalProblem: InternalProblem;
  PreconditionRequiredProblem: PreconditionRequiredProblem;
  PreconditionFailedProblem: PreconditionFailedProblem;
  BadRequestProblem: BadRequestProblem;
}

describe("problem interfaces equal their schemas", () => {
  it("names one interface per problem schema, each its schema's output", () => {
    same<keyof Named, keyof typeof PROBLEM_SCHEMAS>(true);
    same<Named, { -readonly [N in keyof typeof PROBLEM_SCHEMAS]: z.output<(typeof PROBLEM_SCHEMAS)[N]> }>(true);

    same<ValidationProblem, z.output<typeof ValidationProblemSchema>>(true);
    same<VersionConflictProblem, z.output<typeof VersionConflictProblemSchema>>(true);
    same<TerminalDraftProblem, z.output<typeof TerminalDraftProblemSchema>>(true);
    same<NotReadyProblem, z.output<typeof NotReadyProblemSchema>>(true);
    same<ForbiddenProblem, z.output<typeof ForbiddenProblemSchema>>(true);
    same<DraftNotFoundProblem, z.output<typeof DraftNotFoundProblemSchema>>(true);
    same<UnknownRunProblem, z.output<typeof UnknownRunProblemSchema>>(true);
    same<RunActiveProblem, z.output<typeof RunActiveProblemSchema>>(true);
    same<IdempotencyKeyReuseProblem, z.output<typeof IdempotencyKeyReuseProblemSchema>>(true);
    same<InvalidTransitionProblem, z.output<typeof InvalidTransitionProblemSchema>>(true);
    same<OpenDraftExistsProblem, z.output<typeof OpenDraftExistsProblemSchema>>(true);
    same<RetryExhaustedProblem, z.output<typeof RetryExhaustedProblemSchema>>(true);
    same<InternalProblem, z.output<typeof InternalProblemSchema>>(true);
    same<PreconditionRequiredProblem, z.output<typeof PreconditionRequiredProblemSchema>>(true);
    same<PreconditionFailedProblem, z.output<typeof PreconditionFailedProblemSchema>>(true);
    same<BadRequestProblem, z.output<typeof BadRequestProblemSchema>>(true);
    expectTypeOf<NotReadyProblem>().toEqualTypeOf<z.output<typeof NotReadyProblemSchema>>();
    expectTypeOf<VersionConflictProblem>().toEqualTypeOf<z.output<typeof VersionConflictProblemSchema>>();
  });

  it("keeps ProblemDetails what ProblemDetailsSchema parses to, on the server and the client", () => {
    same<ProblemDetails, z.output<typeof ProblemDetailsSchema>>(true);
    same<ProblemDetails, Named[keyof Named]>(true);
    same<ClientProblemDetails, ProblemDetails>(true);
    expectTypeOf<ProblemDetails>().toEqualTypeOf<z.output<typeof ProblemDetailsSchema>>();
  });

  it("still narrows by code", () => {
    expectTypeOf<ProblemOf<"not_ready">["blockers"]>().toEqualTypeOf<NotReadyProblem["blockers"]>();
    expectTypeOf<ProblemOf<"store_failure">["code"]>().toEqualTypeOf<"store_failure">();
    same<Extract<ProblemDetails, { code: "version_conflict" }>, VersionConflictProblem>(true);
  });
});
