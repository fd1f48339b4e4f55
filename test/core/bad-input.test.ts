/**
 * Hostile input: whatever reaches `parseDraft`, `parseCommand` or a command schema, the answer is
 * the typed value or the typed error (`CorruptRecordError` / `ValidationError` with issues), never
 * a TypeError or any other exception, and `Object.prototype` is never polluted.
 */
import { afterAll, describe, expect, it } from "vitest";
import { fc, test } from "@fast-check/vitest";
import { COMMANDS, COMMAND_TYPES, CommandSchema, parseCommand } from "../../src/commands/index.js";
import { deriveLifecycle, encodeDraft, parseDraft } from "../../src/lifecycle/index.js";
import {
  CorruptRecordError,
  OnboardingDraftSchema,
  PARSE_OPTIONS,
  ValidationError,
  toValidationIssues,
  type OnboardingDraft,
} from "../../src/record/index.js";
import { commandArbitrary, reachableDraftArbitrary, structuralDraftArbitrary } from "../../src/testing/arbitraries.js";

const NUM_RUNS = 200;
const PROTO_KEYS_BEFORE = Object.getOwnPropertyNames(Object.prototype).sort();

afterAll(() => {
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(PROTO_KEYS_BEFORE);
  expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();
  expect(({} as Record<string, unknown>)["isAdmin"]).toBeUndefined();
});

/** parseDraft returns a consistent draft or throws CorruptRecordError; anything else fails. */
function checkDraft(input: unknown): OnboardingDraft | CorruptRecordError {
  let result: OnboardingDraft;
  try {
    result = parseDraft(input);
  } catch (error) {
    expect(error).toBeInstanceOf(CorruptRecordError);
    expect(Object.getPrototypeOf(error)).toBe(CorruptRecordError.prototype);
    const corrupt = error as CorruptRecordError;
    expect(corrupt.code).toBe("corrupt_record");
    expect(corrupt.issues.length).toBeGreaterThan(0);
    expect(corrupt.path).toEqual(corrupt.issues[0]?.path);
    expect(JSON.parse(JSON.stringify(corrupt.issues))).toEqual(corrupt.issues);
    if (typeof input === "object" && input !== null && !Array.isArray(input)) {
      expect(corrupt.path.length).toBeGreaterThan(0);
    }
    return corrupt;
  }
  expect(OnboardingDraftSchema.safeParse(result).success).toBe(true);
  expect(result.lifecycle).toEqual(deriveLifecycle(result));
  return result;
}

/** parseCommand returns a valid command or throws ValidationError with issues. */
function checkCommand(input: unknown): void {
  let result: unknown;
  try {
    result = parseCommand(input);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    expect(Object.getPrototypeOf(error)).toBe(ValidationError.prototype);
    expect((error as ValidationError).issues.length).toBeGreaterThan(0);
    expect((error as ValidationError).target).toBe("command");
    return;
  }
  expect(CommandSchema.safeParse(result).success).toBe(true);
}

/** Every per-command schema answers with success or issues, and never throws. */
function checkSchemas(input: unknown): void {
  for (const type of COMMAND_TYPES) {
    const result = COMMANDS[type].schema.safeParse(input, PARSE_OPTIONS);
    if (!result.success) {
      const issues = toValidationIssues(result.error.issues);
      expect(issues.length).toBeGreaterThan(0);
      expect(new ValidationError("command", issues)).toBeInstanceOf(ValidationError);
    } else {
      expect((result.data as { type: string }).type).toBe(type);
    }
  }
}

function checkAll(input: unknown): void {
  checkDraft(input);
  checkCommand(input);
  checkSchemas(input);
}

const anything = fc.anything({
  withObjectString: true,
  withNullPrototype: true,
  withBigInt: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withTypedArray: true,
  withSparseArray: true,
  withBoxedValues: true,
  maxDepth: 4,
});

const HUGE = "x".repeat(100 * 1024);
const deep = (depth: number): unknown => {
  let value: unknown = { leaf: true };
  for (let i = 0; i < depth; i += 1) value = { a: value, tenantId: value };
  return value;
};
const PROTO_JSON = [
  '{"__proto__": {"polluted": true}}',
  '{"__proto__": {"isAdmin": true}, "id": "d", "constructor": {"prototype": {"polluted": true}}}',
  '{"type": "identify", "tenantId": "t", "displayName": "x", "__proto__": {"polluted": true}}',
  '{"type": "activate", "override": {"__proto__": {"reason": "inherited"}}}',
  '{"type": "start_bootstrap", "operations": ["a"], "__proto__": {"type": "cancel"}}',
];
const SPECIALS: unknown[] = [
  undefined,
  null,
  0,
  -0,
  NaN,
  Infinity,
  -Infinity,
  "",
  HUGE,
  [],
  {},
  true,
  Symbol("s"),
  () => 1,
  new Date(NaN),
  Object.create(null),
  deep(10_000),
  ...PROTO_JSON.map((text) => JSON.parse(text) as unknown),
];

describe("arbitrary values", () => {
  test.prop([fc.jsonValue()], { numRuns: NUM_RUNS })("fc.jsonValue", (value) => checkAll(value));
  test.prop([anything], { numRuns: NUM_RUNS })(
    "fc.anything (object strings, null prototypes, boxed values, ...)",
    (value) => checkAll(value),
  );
  it.each(SPECIALS.map((value, index) => [index, value] as const))("special value #%i", (_i, value) => checkAll(value));

  test.prop(
    [fc.constantFrom(...COMMAND_TYPES), fc.dictionary(fc.string({ maxLength: 12 }), anything, { maxKeys: 6 })],
    {
      numRuns: NUM_RUNS,
    },
  )("objects with a valid command type and random fields", (type, fields) => checkAll({ ...fields, type }));
});

describe("the version field", () => {
  const valid = structuralDraftArbitrary();
  it.each([0, -1, 1.5, -2.5, NaN, Infinity, -Infinity, Number.MAX_SAFE_INTEGER + 2, "1", null, true])(
    "version %s",
    (version) => {
      const draft = fc.sample(valid, { numRuns: 1, seed: 42 })[0] as OnboardingDraft;
      const error = checkDraft({ ...JSON.parse(encodeDraft(draft)), version });
      expect(error).toBeInstanceOf(CorruptRecordError);
      expect((error as CorruptRecordError).path).toEqual(["version"]);
    },
  );
});

/** Every path (objects and arrays, leaves and branches) inside a JSON value. */
function pathsOf(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const paths: (string | number)[][] = prefix.length > 0 ? [prefix] : [];
  if (Array.isArray(value)) value.forEach((v, i) => paths.push(...pathsOf(v, [...prefix, i])));
  else if (typeof value === "object" && value !== null) {
    for (const [k, v] of Object.entries(value)) paths.push(...pathsOf(v, [...prefix, k]));
  }
  return paths;
}

function setPath(root: unknown, path: readonly (string | number)[], replacement: unknown, remove: boolean): void {
  let target = root as Record<string | number, unknown>;
  for (const segment of path.slice(0, -1)) target = target[segment] as Record<string | number, unknown>;
  const last = path[path.length - 1] as string | number;
  if (remove && !Array.isArray(target)) delete target[last];
  else target[last] = replacement;
}

const wrongValue = fc.oneof(
  fc.constantFrom<unknown>(null, 42, -1, 1.5, NaN, Infinity, "", "x", true, [], {}, HUGE, "2026-13-45T99:00:00Z"),
  anything,
);

describe("one wrong field in a valid draft", () => {
  const draftArbitrary = fc.oneof(structuralDraftArbitrary(), reachableDraftArbitrary({ maxCommands: 15 }));
  test.prop([draftArbitrary, fc.nat(), wrongValue, fc.boolean()], { numRuns: NUM_RUNS * 2 })(
    "parseDraft answers with a draft or CorruptRecordError pointing into the mutated field",
    (draft, pick, replacement, remove) => {
      const document = JSON.parse(encodeDraft(draft)) as Record<string, unknown>;
      const paths = pathsOf(document);
      const path = paths[pick % paths.length] as (string | number)[];
      setPath(document, path, replacement, remove);
      const result = checkDraft(document);
      if (result instanceof CorruptRecordError) {
        // The first issue is in the mutated top-level field, or the persisted lifecycle no longer matches.
        expect([path[0], "lifecycle"]).toContain(result.path[0]);
      }
    },
  );

  test.prop([commandArbitrary(["r-1"]), fc.nat(), wrongValue, fc.boolean()], { numRuns: NUM_RUNS })(
    "parseCommand and the command's own schema answer with a command or ValidationError",
    (command, pick, replacement, remove) => {
      const document = JSON.parse(JSON.stringify(command)) as Record<string, unknown>;
      const paths = pathsOf(document);
      const path = paths[pick % paths.length] as (string | number)[];
      setPath(document, path, replacement, remove);
      checkCommand(document);
      checkSchemas(document);
      const schema = COMMANDS[command.type].schema;
      expect(() => schema.safeParse(document)).not.toThrow();
    },
  );
});

describe("specific hostile documents", () => {
  const base = (): Record<string, unknown> =>
    JSON.parse(
      encodeDraft(fc.sample(structuralDraftArbitrary(), { numRuns: 1, seed: 7 })[0] as OnboardingDraft),
    ) as Record<string, unknown>;

  it("a 100 KB id is CorruptRecordError at id", () => {
    expect((checkDraft({ ...base(), id: HUGE }) as CorruptRecordError).path).toEqual(["id"]);
  });
  it("a 100 KB display name in a command is a ValidationError", () => {
    expect(() => parseCommand({ type: "identify", tenantId: "t", displayName: HUGE })).toThrow(ValidationError);
  });
  it("a deeply nested identity is CorruptRecordError (no stack overflow)", () => {
    expect(checkDraft({ ...base(), identity: deep(10_000) })).toBeInstanceOf(CorruptRecordError);
  });
  it("an own __proto__ key in a stored document is dropped, never inherited", () => {
    const document = JSON.parse(`{"__proto__": {"polluted": true}, ${JSON.stringify(base()).slice(1)}`) as unknown;
    const result = checkDraft(document);
    expect(result).not.toBeInstanceOf(CorruptRecordError);
    expect(Object.prototype.hasOwnProperty.call(result, "__proto__")).toBe(false);
    expect((result as unknown as Record<string, unknown>)["polluted"]).toBeUndefined();
  });
  it("an override whose reason sits under an own __proto__ key is refused, not inherited", () => {
    const input = JSON.parse('{"type": "activate", "override": {"__proto__": {"reason": "x"}}}') as unknown;
    expect(() => parseCommand(input)).toThrow(ValidationError);
  });
  it("a value inherited through a real prototype is copied into a plain own property (zod reads input[key])", () => {
    const override = Object.create({ reason: "inherited" }) as object;
    const command = parseCommand({ type: "activate", override });
    expect(command).toEqual({ type: "activate", override: { reason: "inherited" } });
    const parsed = (command as { override: object }).override;
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
    expect(Object.keys(parsed)).toEqual(["reason"]);
  });
});
