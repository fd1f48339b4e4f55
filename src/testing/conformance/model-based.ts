/**
 * Conformance section "model-based": random command sequences from several actors (fast-check
 * `fc.commands`, see `../model.ts`) driven through the engine on this store and checked against
 * a small model after every step.
 */
import * as fc from "fast-check";
import { modelRunArbitrary, runModel } from "../model.js";
import type { SectionContext } from "./shared.js";

/** Registers the tests of this section. */
export function modelBasedSection({ it, h, options }: SectionContext): void {
  it("random command sequences from several actors agree with the model", async () => {
    await fc.assert(
      fc.asyncProperty(modelRunArbitrary(), async (commands) => {
        await runModel(h().store, commands);
      }),
      { numRuns: options.numRuns ?? 100, ...(options.seed === undefined ? {} : { seed: options.seed }) },
    );
  });
}
