import { describe, expect, it } from "vitest";
import * as root from "../../src/index.js";

// Each error class repeats its code as a literal static (so bundlers can drop unused classes);
// this keeps those literals equal to ErrorCode and to what instances carry.
describe("error class codes", () => {
  const classes = Object.values(root).filter(
    (value): value is typeof root.OnboardingError & { errorCode: string } =>
      typeof value === "function" && value.prototype instanceof Error && "errorCode" in value,
  );

  it("every error class has a code from ErrorCode, each used once", () => {
    const codes = classes.map((klass) => klass.errorCode);
    expect(classes.length).toBe(14);
    expect(new Set(codes).size).toBe(codes.length);
    for (const code of codes) expect(Object.values(root.ErrorCode)).toContain(code);
  });
});
