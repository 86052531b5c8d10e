// Group commit: concurrent writes share one transaction, yet each succeeds or fails alone.
import { afterAll, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { closeDatabase, openDatabase } from "../src/db/client";
import { commitSoon } from "../src/db/group-commit";
import { migrateDatabase } from "../src/db/migrate";
import { tempDir } from "./helpers/app";

const dir = tempDir();
const db = openDatabase(join(dir, "group.db"));
migrateDatabase(db);
const client = db.$client;
const insertKey = (id: string) =>
  client.prepare("insert into api_keys (id, name, key_hash, created_at) values (?, 'k', ?, 0)").run(id, `hash-${id}`);
const count = () => (client.prepare("select count(*) as n from api_keys").get() as { n: number }).n;

afterAll(() => {
  closeDatabase(db);
  rmSync(dir, { recursive: true, force: true });
});

test("writes issued together are stored and each caller gets its own result", async () => {
  const results = await Promise.all(["a", "b", "c"].map((id) => commitSoon(db, () => (insertKey(id), id.toUpperCase()))));
  expect(results).toEqual(["A", "B", "C"]);
  expect(count()).toBe(3);
});

test("a failing write is rolled back and rejected alone; the rest of the batch commits", async () => {
  const before = count();
  const outcomes = await Promise.allSettled([
    commitSoon(db, () => insertKey("d")),
    commitSoon(db, () => {
      insertKey("e");
      insertKey("a"); // duplicate primary key: this write must leave no trace, "e" included
    }),
    commitSoon(db, () => insertKey("f")),
  ]);
  expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
  expect(String((outcomes[1] as PromiseRejectedResult).reason)).toContain("UNIQUE");
  expect(count()).toBe(before + 2);
  expect(client.prepare("select id from api_keys where id = 'e'").get()).toBeUndefined();
});

test("a single-statement write runs without a savepoint, and its failing statement is undone alone", async () => {
  const before = count();
  const outcomes = await Promise.allSettled([
    commitSoon(db, () => insertKey("s1"), { singleStatement: true }),
    commitSoon(db, () => insertKey("a"), { singleStatement: true }), // duplicate primary key
    commitSoon(db, () => {
      throw new Error("refused before writing");
    }, { singleStatement: true }),
    commitSoon(db, () => insertKey("s2"), { singleStatement: true }),
  ]);
  expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "rejected", "rejected", "fulfilled"]);
  expect(String((outcomes[1] as PromiseRejectedResult).reason)).toContain("UNIQUE");
  expect(count()).toBe(before + 2);
});

test("nothing is answered before the shared transaction has committed", async () => {
  let seenInsideTransaction: boolean | undefined;
  const pending = commitSoon(db, () => {
    insertKey("g");
    seenInsideTransaction = client.inTransaction;
  });
  expect(seenInsideTransaction).toBeUndefined(); // the write has not run yet: it waits for the batch
  await pending;
  expect(seenInsideTransaction).toBe(true);
  expect(client.inTransaction).toBe(false);
});

test("a write whose error rolls back the whole transaction (disk full) fails the whole batch", async () => {
  const before = count();
  const pages = client.pragma("page_count", { simple: true }) as number;
  client.pragma(`max_page_count = ${pages + 1}`); // room for small rows, not for a big one
  try {
    const outcomes = await Promise.allSettled([
      commitSoon(db, () => insertKey("full-1"), { singleStatement: true }),
      commitSoon(db, () => client.prepare("insert into api_keys (id, name, key_hash, created_at) values ('full-big', ?, 'h', 0)").run("x".repeat(1 << 20))),
      // Would run outside any transaction, and stay stored while its caller hears of a failure.
      commitSoon(db, () => insertKey("full-3"), { singleStatement: true }),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(["rejected", "rejected", "rejected"]);
    expect(String((outcomes[1] as PromiseRejectedResult).reason)).toContain("full");
    expect(count()).toBe(before);
  } finally {
    client.pragma("max_page_count = 4294967294");
  }
  expect(await commitSoon(db, () => (insertKey("after-full"), "ok"))).toBe("ok");
});
