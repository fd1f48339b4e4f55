/**
 * The MySQL adapter's naming of a Galera node that is not part of the primary component, with no
 * server: a scripted stand-in for a `mysql2/promise` pool whose every statement fails as a
 * non-primary MariaDB Galera node's does (ER_UNKNOWN_COM_ERROR, 1047, "WSREP has not yet
 * prepared node for application use"). Reads, writes and the transaction start must all end as
 * `StoreError` caused by `GaleraNodeUnavailable` (retryable, a message that says what to do),
 * never the driver's error; other server errors keep their own cause. The same on a real
 * cluster cut in two: test/adapters/mysql.galera.faults.test.ts.
 */
import { describe, expect, it } from "vitest";
import type { Pool } from "mysql2/promise";
import { GaleraNodeUnavailable, createMySqlStore } from "../../src/adapters/mysql/index.js";
import { newDraft } from "../../src/commands/index.js";
import { createOnboardingEngine } from "../../src/index.js";
import { StoreError } from "../../src/record/index.js";
import { withDocument } from "../../src/testing/index.js";
import { eventFor } from "./fixtures/mysql-support.js";

const WS = "ws-galera-errors";

function nonPrimary(): Error {
  return Object.assign(new Error("WSREP has not yet prepared node for application use"), {
    errno: 1047,
    code: "ER_UNKNOWN_COM_ERROR",
    sqlState: "08S01",
    fatal: false,
  });
}

/** A pool whose statements fail with `error()` from statement `after` on (those before succeed with no rows). */
function refusingPool(error: () => Error, log: string[], after = 0): Pool {
  let seen = 0;
  const run = (sql: string): Promise<[unknown, unknown[]]> => {
    log.push(sql);
    seen += 1;
    return seen > after ? Promise.reject(error()) : Promise.resolve([{ affectedRows: 1 }, []]);
  };
  const connection = { query: run, execute: run, release() {}, destroy() {} };
  return { execute: run, query: run, getConnection: () => Promise.resolve(connection) } as unknown as Pool;
}

async function failure(promise: Promise<unknown>): Promise<StoreError> {
  const error: unknown = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(StoreError);
  return error as StoreError;
}

function draft() {
  return newDraft({ id: "d-1", workspaceId: WS, now: "2030-01-01T00:00:00.000Z", actorId: "u1" });
}

describe("mysql adapter: a Galera node outside the primary component (1047)", () => {
  it("a read gets StoreError caused by GaleraNodeUnavailable, with the driver's error behind it", async () => {
    const log: string[] = [];
    const store = createMySqlStore({ pool: refusingPool(nonPrimary, log) });
    const error = await failure(store.load(WS, "d-1"));
    expect(error.code).toBe("store_failure");
    expect(error.adapter).toBe("mysql");
    expect(error.operation).toBe("load");
    expect(error.cause).toBeInstanceOf(GaleraNodeUnavailable);
    const cause = error.cause as GaleraNodeUnavailable;
    expect([cause.errno, cause.code, cause.retryable]).toEqual([1047, "ER_UNKNOWN_COM_ERROR", true]);
    expect((cause.cause as { errno?: number }).errno).toBe(1047);
    expect(error.message).toMatch(/not part of the cluster's primary component.*send the call to another node/);
  });

  it("a write refused at START TRANSACTION, and one refused on its first statement: the same, once each", async () => {
    for (const after of [0, 1]) {
      const log: string[] = [];
      const store = createMySqlStore({ pool: refusingPool(nonPrimary, log, after) });
      const next = draft();
      const error = await failure(
        store.insert(withDocument({ draft: next, event: eventFor(next), idempotency: null })),
      );
      expect(error.cause).toBeInstanceOf(GaleraNodeUnavailable);
      expect(log.filter((sql) => sql.endsWith("START TRANSACTION")).length).toBe(1); // not retried on this node
    }
  });

  it("through the engine: a create and a read on the node both end as that StoreError", async () => {
    const engine = createOnboardingEngine({
      store: createMySqlStore({ pool: refusingPool(nonPrimary, []) }),
      authorize: () => true,
    });
    const actor = { id: "u" };
    for (const call of [engine.create(WS, { id: "d-1" }, { actor }), engine.get(WS, "d-1", { actor })]) {
      const error = await failure(call);
      expect(error.cause).toBeInstanceOf(GaleraNodeUnavailable);
    }
  });

  it("a transaction cut off from the primary component (1180 at COMMIT) is named the same way", async () => {
    const cutOff = (): Error =>
      Object.assign(
        new Error(
          "Error while appending streaming replication fragment(provider status: Not connected to Primary Component)",
        ),
        { errno: 1180, code: "ER_ERROR_DURING_COMMIT" },
      );
    const store = createMySqlStore({ pool: refusingPool(cutOff, []) });
    const error = await failure(store.load(WS, "d-1"));
    expect(error.cause).toBeInstanceOf(GaleraNodeUnavailable);
    expect((error.cause as GaleraNodeUnavailable).errno).toBe(1180);
    const other = (): Error => Object.assign(new Error("Got error 28 during COMMIT"), { errno: 1180 });
    const plain = await failure(createMySqlStore({ pool: refusingPool(other, []) }).load(WS, "d-1"));
    expect(plain.cause).not.toBeInstanceOf(GaleraNodeUnavailable);
  });

  it("with causalReads, a causality wait that fails (1205 on a read or START TRANSACTION) is named the same way", async () => {
    const waitFailed = (): Error =>
      Object.assign(new Error("Lock wait timeout exceeded; try restarting transaction"), {
        errno: 1205,
        code: "ER_LOCK_WAIT_TIMEOUT",
      });
    const causal = createMySqlStore({ pool: refusingPool(waitFailed, []), causalReads: true });
    const read = await failure(causal.load(WS, "d-1"));
    expect(read.cause).toBeInstanceOf(GaleraNodeUnavailable);
    expect((read.cause as GaleraNodeUnavailable).errno).toBe(1205);
    expect(read.message).toMatch(/could not wait for the cluster's latest commits/);
    const next = draft();
    const write = await failure(causal.insert(withDocument({ draft: next, event: eventFor(next), idempotency: null })));
    expect(write.cause).toBeInstanceOf(GaleraNodeUnavailable);
    // A 1205 on a statement inside the transaction is a real lock wait: left as it is.
    const inside = createMySqlStore({ pool: refusingPool(waitFailed, [], 1), causalReads: true });
    const locked = await failure(
      inside.insert(withDocument({ draft: next, event: eventFor(next), idempotency: null })),
    );
    expect(locked.cause).not.toBeInstanceOf(GaleraNodeUnavailable);
  });

  it("any other server error keeps the driver's error as its cause", async () => {
    const other = (): Error => Object.assign(new Error("Lock wait timeout exceeded"), { errno: 1205 });
    const store = createMySqlStore({ pool: refusingPool(other, []) });
    const error = await failure(store.load(WS, "d-1"));
    expect(error.cause).not.toBeInstanceOf(GaleraNodeUnavailable);
    expect((error.cause as { errno?: number }).errno).toBe(1205);
  });
});
