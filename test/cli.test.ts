// The command line, run as real processes of the development entry (`bun src/index.ts`):
// exit codes, one-line errors, and commands whose results are checked in the database they wrote.
import { afterAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { buildApp } from "../src/app";
import { loadConfig } from "../src/config";
import { closeDatabase, openDatabase } from "../src/db/client";
import { users } from "../src/db/schema";
import { createLogger } from "../src/log";
import { VERSION } from "../src/version";
import { tempDir } from "./helpers/app";
import { DEV_ENTRY, runCommand } from "./helpers/process";
import { AppMetrics } from "../src/metrics/app-metrics";

const dir = tempDir("hookrelay-cli-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let dbCount = 0;
const freshDb = () => join(dir, `db-${++dbCount}`, "hookrelay.db");
const hookrelay = (args: string[], options: { env?: Record<string, string>; stdin?: string } = {}) =>
  runCommand([...DEV_ENTRY, ...args], { cwd: dir, ...options });

const lines = (text: string) => text.split("\n").filter((l) => l !== "");

describe("help and version", () => {
  test("--help lists every command and the options mirroring the environment", async () => {
    const r = await hookrelay(["--help"]);
    expect(r.code).toBe(0);
    for (const word of ["serve", "migrate", "keys create", "users create", "backup FILE", "--port", "--database-path", "DATABASE_PATH", "--log-level"]) {
      expect(r.stdout).toContain(word);
    }
    expect(r.stderr).toBe("");
  });

  test("a command's --help shows its own options", async () => {
    const r = await hookrelay(["users", "create", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Usage: hookrelay users create");
    expect(r.stdout).toContain("--password-stdin");
  });

  test("--version and -v print the package version", async () => {
    for (const flag of ["--version", "-v"]) {
      const r = await hookrelay([flag]);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`hookrelay ${VERSION}\n`);
    }
  });
});

describe("command-line mistakes exit 2 with one line", () => {
  const cases: [string[], string][] = [
    [["frobnicate"], 'unknown command "frobnicate"'],
    [["--frobnicate"], "unknown option --frobnicate"],
    [["keys"], '"keys" needs a subcommand: create'],
    [["keys", "create", "--email", "a@b.co"], "keys create does not take --email"],
    [["users", "create"], "users create needs --email"],
    [["backup"], "backup takes FILE, got none"],
    [["migrate", "extra"], 'migrate takes no arguments, got "extra"'],
    [["--port"], "option --port needs a value"],
  ];
  for (const [args, message] of cases) {
    test(`hookrelay ${args.join(" ")}`, async () => {
      const r = await hookrelay(args, { env: { DATABASE_PATH: freshDb() } });
      expect(r.code).toBe(2);
      expect(lines(r.stderr)).toEqual([`hookrelay: ${message} (see hookrelay --help)`]);
      expect(r.stdout).toBe("");
    });
  }
});

describe("bad configuration exits 1 with one line naming the variable", () => {
  test("from the environment", async () => {
    const r = await hookrelay([], { env: { PORT: "eighty", DATABASE_PATH: freshDb() } });
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toEqual(['hookrelay: PORT must be an integer from 0 to 65535, got "eighty"']);
  });

  test("from an option, which also wins over the environment", async () => {
    const r = await hookrelay(["serve", "--delivery-allow-private", "maybe"], {
      env: { DELIVERY_ALLOW_PRIVATE: "1", DATABASE_PATH: freshDb() },
    });
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toEqual(['hookrelay: DELIVERY_ALLOW_PRIVATE must be 0 or 1, got "maybe" (from --delivery-allow-private)']);
  });

  test("for one-shot commands too", async () => {
    const r = await hookrelay(["keys", "create"], { env: { LOG_LEVEL: "loud", DATABASE_PATH: freshDb() } });
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toStartWith("hookrelay: LOG_LEVEL must be one of");
  });
});

describe("migrate", () => {
  test("creates the schema in a new file and is idempotent", async () => {
    const path = freshDb();
    for (let run = 0; run < 2; run++) {
      const r = await hookrelay(["migrate", "--database-path", path]);
      expect(r.code).toBe(0);
      expect(r.stderr).toContain(`Database ${path} is up to date`);
    }
    const db = openDatabase(path);
    const tables = db.$client.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[];
    closeDatabase(db);
    expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(["webhooks", "api_keys", "users", "deliveries"]));
  });
});

describe("keys create", () => {
  test("prints a key once, and that key authenticates against the API", async () => {
    const path = freshDb();
    const r = await hookrelay(["keys", "create", "--name", "deploy bot"], { env: { DATABASE_PATH: path } });
    expect(r.code).toBe(0);
    const printed = lines(r.stdout);
    expect(printed).toHaveLength(1);
    const key = printed[0]!;
    expect(key).toMatch(/^hr_[0-9A-Za-z]{40}$/);
    expect(r.stderr).toContain('("deploy bot", platform key)');

    const config = loadConfig({ DATABASE_PATH: path });
    const db = openDatabase(path);
    try {
      expect(JSON.stringify(db.$client.prepare("SELECT * FROM api_keys").all())).not.toContain(key);
      const app = buildApp({ config, db, logger: createLogger("silent"), metrics: new AppMetrics(), wakeDelivery: () => {} });
      const get = (auth: string) =>
        app.handle(new Request("http://localhost/api/v1/links/webhooks", { headers: { authorization: `Bearer ${auth}` } }));
      expect((await get(key)).status).toBe(200);
      // One character different (a key may itself end in "x": 1 run in 62 failed here before).
      expect((await get(`${key.slice(0, -1)}${key.endsWith("x") ? "y" : "x"}`)).status).toBe(401);
    } finally {
      closeDatabase(db);
    }
  });

  test("an empty name is a command-line mistake", async () => {
    const r = await hookrelay(["keys", "create", "--name", ""], { env: { DATABASE_PATH: freshDb() } });
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toEqual(["hookrelay: --name must be 1 to 100 characters long (see hookrelay --help)"]);
  });
});

describe("users create", () => {
  const path = freshDb();
  const userRow = (email: string) => {
    const db = openDatabase(path);
    try {
      return db.select().from(users).all().find((u) => u.email === email);
    } finally {
      closeDatabase(db);
    }
  };

  test("--password-stdin stores an argon2id hash of the password read from stdin", async () => {
    const r = await hookrelay(["users", "create", "--email", "Ops@Example.com", "--name", "Ops", "--password-stdin"], {
      env: { DATABASE_PATH: path },
      stdin: "correct horse battery\n",
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("(ops@example.com)");
    const row = userRow("ops@example.com")!;
    expect(row.name).toBe("Ops");
    expect(row.passwordHash).toStartWith("$argon2id$");
    expect(await Bun.password.verify("correct horse battery", row.passwordHash)).toBe(true);
  });

  test("without --password-stdin a password is generated and printed once", async () => {
    const r = await hookrelay(["users", "create", "--email", "second@example.com"], { env: { DATABASE_PATH: path } });
    expect(r.code).toBe(0);
    const printed = lines(r.stdout);
    expect(printed).toHaveLength(1);
    expect(printed[0]).toMatch(/^[0-9A-Za-z]{24}$/);
    expect(await Bun.password.verify(printed[0]!, userRow("second@example.com")!.passwordHash)).toBe(true);
  });

  test("a taken e-mail (in any case) fails with one line and changes nothing", async () => {
    const r = await hookrelay(["users", "create", "--email", "OPS@example.com", "--password-stdin"], {
      env: { DATABASE_PATH: path },
      stdin: "another password",
    });
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toEqual(["hookrelay: A user with this email already exists"]);
    expect(await Bun.password.verify("correct horse battery", userRow("ops@example.com")!.passwordHash)).toBe(true);
  });

  test("invalid input names the field", async () => {
    const bad = await hookrelay(["users", "create", "--email", "not-an-email"], { env: { DATABASE_PATH: path } });
    expect(bad.code).toBe(1);
    expect(lines(bad.stderr)).toEqual(["hookrelay: email: Invalid email format"]);
    expect(bad.stdout).toBe("");

    const short = await hookrelay(["users", "create", "--email", "short@example.com", "--password-stdin"], {
      env: { DATABASE_PATH: path },
      stdin: "short\n",
    });
    expect(short.code).toBe(1);
    expect(short.stderr).toStartWith("hookrelay: password: ");
    expect(userRow("short@example.com")).toBeUndefined();
  });

  test("--password-stdin with nothing on stdin is refused", async () => {
    const r = await hookrelay(["users", "create", "--email", "empty@example.com", "--password-stdin"], {
      env: { DATABASE_PATH: path },
      stdin: "",
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("no password on standard input");
  });
});

describe("backup", () => {
  test("copies the database with VACUUM INTO, and never overwrites", async () => {
    const path = freshDb();
    expect((await hookrelay(["keys", "create"], { env: { DATABASE_PATH: path } })).code).toBe(0);
    const target = join(dir, "backup-1.db");
    const r = await hookrelay(["backup", target], { env: { DATABASE_PATH: path } });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`to ${target}`);
    const copy = openDatabase(target);
    expect((copy.$client.prepare("SELECT count(*) AS n FROM api_keys").get() as { n: number }).n).toBe(1);
    closeDatabase(copy);

    const again = await hookrelay(["backup", target], { env: { DATABASE_PATH: path } });
    expect(again.code).toBe(1);
    expect(lines(again.stderr)).toEqual([`hookrelay: ${target} already exists; backup never overwrites a file`]);
  });

  test("refuses a database that does not exist instead of creating one", async () => {
    const path = freshDb();
    const r = await hookrelay(["backup", join(dir, "backup-2.db")], { env: { DATABASE_PATH: path } });
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toEqual([`hookrelay: no database at ${path}`]);
  });

  test("refuses a target in a missing directory", async () => {
    const path = freshDb();
    expect((await hookrelay(["migrate"], { env: { DATABASE_PATH: path } })).code).toBe(0);
    const r = await hookrelay(["backup", join(dir, "missing", "b.db")], { env: { DATABASE_PATH: path } });
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toEqual([`hookrelay: directory ${join(dir, "missing")} does not exist`]);
  });
});
