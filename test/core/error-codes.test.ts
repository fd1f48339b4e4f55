import { describe, expect, it } from "vitest";
import * as http from "../../src/http/index.js";
import * as root from "../../src/index.js";

// Each error class repeats its code as a literal static (so bundlers can drop unused classes);
// this keeps those literals equal to ErrorCode and to what instances carry.
describe("error class codes", () => {
  const classes = Object.values({ ...root, ...http }).filter(
    (value): value is typeof root.OnboardingError & { errorCode: string } =>
      typeof value === "function" && value.prototype instanceof Error && "errorCode" in value,
  );

  it("every error class (root and http entries) has a code from ErrorCode, each used once, all used", () => {
    const codes = classes.map((klass) => klass.errorCode);
    expect(classes.length).toBe(20);
    expect(new Set(codes).size).toBe(codes.length);
    expect(new Set(codes)).toEqual(new Set(Object.values(root.ErrorCode)));
  });

  it("every error class extends OnboardingError, and ERROR_CATALOG declares exactly the ErrorCodes", () => {
    // The prototype chain itself (`instanceof` checks the brand, which prototypes do not carry).
    for (const klass of classes)
      expect(Object.prototype.isPrototypeOf.call(root.OnboardingError.prototype, klass.prototype), klass.name).toBe(
        true,
      );
    expect(new Set(Object.keys(root.ERROR_CATALOG))).toEqual(new Set(Object.values(root.ErrorCode)));
  });
});
