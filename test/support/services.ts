/**
 * Service availability for integration tests. A test file that needs a server calls
 * `serviceAvailable(name, probe)` at the top level and skips its suite when it returns false.
 * With REQUIRE_SERVICES=1 (CI) a missing server throws instead: never a silent skip.
 */
export async function serviceAvailable(name: string, probe: () => Promise<void>): Promise<boolean> {
  try {
    await probe();
    return true;
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    if (process.env["REQUIRE_SERVICES"] === "1") {
      throw new Error(`${name} is required (REQUIRE_SERVICES=1) but did not answer: ${detail}`, { cause: error });
    }
    const line = "!".repeat(78);
    console.warn(
      `\n${line}\n!! SKIPPING ${name} tests: the server did not answer (${detail}).\n!! Set REQUIRE_SERVICES=1 to make this a failure.\n${line}\n`,
    );
    return false;
  }
}

/** A short random suffix for table names, key prefixes and workspace ids used by one test file. */
export function uniqueSuffix(): string {
  return `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}
