// The command line, run as real processes of the development entry (`bun src/index.ts`):
// exit codes, one-line errors, and commands whose results are checked in the database they wrote.
import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { buildApp } from "../src/app";
import { loadConfig } from "../src/config";
import { closeDatabase, openDatabase } from "../src/db/client";
import { MIGRATIONS_DIR } from "../src/db/migrate";
import { sessions, users } from "../src/db/schema";
import { createLogger } from "../src/log";
import { VERSION } from "../src/version";
import { tempDir } from "./helpers/app";
import { DEV_ENTRY, runCommand } from "./helpers/process";
import { AppMetrics } from "../src/metrics/app-metrics";
import { SqliteStore } from "../src/db/sqlite/store";

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
    [["keys"], '"keys" needs a subcommand: create, list, revoke'],
    [["users"], '"users" needs a subcommand: create, list, disable, enable, reset-password'],
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

  test("HOST that is no address or name is named before any listen is tried", async () => {
    const r = await hookrelay([], { env: { HOST: "999.1.1.1", DATABASE_PATH: freshDb() } });
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toEqual(['hookrelay: HOST must be an IP address or a host name, got "999.1.1.1"']);
  });

  test("a DATABASE_PATH that cannot be opened is named, by serve and by one-shot commands", async () => {
    // A directory where the file should be.
    for (const args of [["serve"], ["migrate"], ["users", "list"]]) {
      const r = await hookrelay(args, { env: { DATABASE_PATH: dir, PORT: "0", HOST: "127.0.0.1" } });
      expect(r.code).toBe(1);
      expect(lines(r.stderr)).toEqual([`hookrelay: DATABASE_PATH ${dir} cannot be opened: unable to open database file`]);
    }
  });

  test("for one-shot commands too", async () => {
    const r = await hookrelay(["keys", "create"], { env: { LOG_LEVEL: "loud", DATABASE_PATH: freshDb() } });
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toStartWith("hookrelay: LOG_LEVEL must be one of");
  });
});

describe("a bad option value is a command-line mistake: exit 2, one line naming the option", () => {
  const cases: [string[], string][] = [
    [["--port", "abc"], '--port must be an integer from 0 to 65535, got "abc"'],
    [["serve", "--delivery-allow-private", "maybe"], '--delivery-allow-private must be 0 or 1, got "maybe"'],
    [["serve", "--host", "999.1.1.1"], '--host must be an IP address or a host name, got "999.1.1.1"'],
    // Checked for every command, used or not: it was typed for this one.
    [["migrate", "--delivery-concurrency", "0"], '--delivery-concurrency must be an integer from 1 to 4096, got "0"'],
  ];
  for (const [args, message] of cases) {
    test(`hookrelay ${args.join(" ")}`, async () => {
      // The option wins over a valid variable of the same name.
      const r = await hookrelay(args, { env: { DATABASE_PATH: freshDb(), PORT: "3000", DELIVERY_ALLOW_PRIVATE: "1" } });
      expect(r.code).toBe(2);
      expect(lines(r.stderr)).toEqual([`hookrelay: ${message} (see hookrelay --help)`]);
    });
  }
});

describe("one-shot commands read only the variables they use", () => {
  test("migrate, keys create, users list and backup ignore a bad PORT or HOST; health does not", async () => {
    const path = freshDb();
    const env = { DATABASE_PATH: path, PORT: "eighty", HOST: "999.1.1.1", DELIVERY_CONCURRENCY: "lots" };
    expect((await hookrelay(["migrate"], { env })).code).toBe(0);
    expect((await hookrelay(["keys", "create"], { env })).code).toBe(0);
    expect((await hookrelay(["users", "list"], { env })).code).toBe(0);
    expect((await hookrelay(["backup", join(dir, "ignored-port-backup.db")], { env })).code).toBe(0);
    const health = await hookrelay(["health"], { env });
    expect(health.code).toBe(1);
    expect(lines(health.stderr)).toHaveLength(1);
    expect(health.stderr).toMatch(/^hookrelay: (PORT|HOST) must be/);
  });
});

describe("migrate", () => {
  test("says which migrations it applied to a new file, then that it is up to date", async () => {
    const path = freshDb();
    const tags = (JSON.parse(readFileSync(join(MIGRATIONS_DIR, "meta/_journal.json"), "utf8")).entries as { tag: string }[]).map((e) => e.tag);
    const first = await hookrelay(["migrate", "--database-path", path]);
    expect(first.code).toBe(0);
    expect(lines(first.stderr)).toHaveLength(1);
    expect(first.stderr).toStartWith(`Applied ${tags.length} migrations to ${path} in `);
    expect(first.stderr).toEndWith(`: ${tags.join(", ")}.\n`);
    const second = await hookrelay(["migrate", "--database-path", path]);
    expect(second.code).toBe(0);
    expect(lines(second.stderr)).toEqual([`Database ${path} is up to date (${tags.length} migrations applied before).`]);
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
      const app = buildApp({ config, db, store: new SqliteStore(db), logger: createLogger("silent"), metrics: new AppMetrics(), wakeDelivery: () => {} });
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

describe("users list, disable, enable, reset-password", () => {
  const path = freshDb();
  const env = { DATABASE_PATH: path };
  /** The real app over the file the commands wrote: sign in as the user. */
  async function signInStatus(email: string, password: string): Promise<{ status: number; token?: string }> {
    const db = openDatabase(path);
    try {
      const app = buildApp({ config: loadConfig({ DATABASE_PATH: path }), db, store: new SqliteStore(db), logger: createLogger("silent"), metrics: new AppMetrics(), wakeDelivery: () => {} });
      const res = await app.handle(
        new Request("http://localhost/auth/login", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email, password }) }),
      );
      return { status: res.status, token: res.status === 200 ? ((await res.json()) as { token: string }).token : undefined };
    } finally {
      closeDatabase(db);
    }
  }
  const sessionCount = (email: string) => {
    const db = openDatabase(path);
    try {
      const user = db.select().from(users).all().find((u) => u.email === email)!;
      return db.select().from(sessions).all().filter((s) => s.userId === user.id).length;
    } finally {
      closeDatabase(db);
    }
  };

  test("users list prints a header and one line per user, newest first; no password hashes", async () => {
    for (const email of ["first@example.com", "second@example.com"]) {
      expect((await hookrelay(["users", "create", "--email", email, "--password-stdin"], { env, stdin: "correct horse battery" })).code).toBe(0);
    }
    const r = await hookrelay(["users", "list"], { env });
    expect(r.code).toBe(0);
    const out = lines(r.stdout);
    expect(out[0]).toMatch(/^ID\s+EMAIL\s+STATUS\s+CREATED\s+NAME$/);
    expect(out.slice(1).map((l) => l.split(/\s+/)[1])).toEqual(["second@example.com", "first@example.com"]);
    expect(out[1]).toContain(" active ");
    expect(r.stdout).not.toContain("argon2");
  });

  test("users disable ends the user's sessions and refuses sign-in; users enable lets them back", async () => {
    const signedIn = await signInStatus("first@example.com", "correct horse battery");
    expect(signedIn.status).toBe(200);
    expect(sessionCount("first@example.com")).toBe(1);
    const r = await hookrelay(["users", "disable", "--email", "First@Example.com"], { env });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("Disabled user");
    expect(sessionCount("first@example.com")).toBe(0);
    expect((await signInStatus("first@example.com", "correct horse battery")).status).toBe(401);
    expect(lines((await hookrelay(["users", "list"], { env })).stdout)[2]).toContain(" disabled ");
    expect((await hookrelay(["users", "enable", "--email", "first@example.com"], { env })).code).toBe(0);
    expect((await signInStatus("first@example.com", "correct horse battery")).status).toBe(200);
  });

  test("users reset-password prints a generated password once, or takes one from stdin; sessions end", async () => {
    expect((await signInStatus("second@example.com", "correct horse battery")).status).toBe(200);
    const r = await hookrelay(["users", "reset-password", "--email", "second@example.com"], { env });
    expect(r.code).toBe(0);
    const printed = lines(r.stdout);
    expect(printed).toHaveLength(1);
    expect(printed[0]).toMatch(/^[0-9A-Za-z]{24}$/);
    expect(sessionCount("second@example.com")).toBe(0);
    expect((await signInStatus("second@example.com", "correct horse battery")).status).toBe(401);
    expect((await signInStatus("second@example.com", printed[0]!)).status).toBe(200);

    const chosen = await hookrelay(["users", "reset-password", "--email", "second@example.com", "--password-stdin"], { env, stdin: "chosen by the admin\n" });
    expect(chosen.code).toBe(0);
    expect(chosen.stdout).toBe("");
    expect((await signInStatus("second@example.com", "chosen by the admin")).status).toBe(200);
    const short = await hookrelay(["users", "reset-password", "--email", "second@example.com", "--password-stdin"], { env, stdin: "short" });
    expect(short.code).toBe(1);
    expect(lines(short.stderr)).toEqual(["hookrelay: password: Must be 8 to 256 characters long"]);
  });

  test("an unknown email exits 1 with one line; a missing --email is a usage error", async () => {
    const unknown = await hookrelay(["users", "disable", "--email", "nobody@example.com"], { env });
    expect(unknown.code).toBe(1);
    expect(lines(unknown.stderr)).toEqual(["hookrelay: No user with email nobody@example.com"]);
    const missing = await hookrelay(["users", "reset-password"], { env });
    expect(missing.code).toBe(2);
    expect(lines(missing.stderr)).toEqual(["hookrelay: users reset-password needs --email (see hookrelay --help)"]);
  });
});

describe("progress of backup and migrate", () => {
  const quote = (word: string) => `'${word.replaceAll("'", `'\\''`)}'`;
  /** Runs the command on a pseudo-terminal (util-linux `script`): what a person at a terminal sees. */
  const onTerminal = (args: string[], env: Record<string, string>) =>
    runCommand(["script", "--quiet", "--return", "--command", [...DEV_ENTRY, ...args].map(quote).join(" "), "/dev/null"], { cwd: dir, env });

  test("on a terminal, a status line is shown while they run, then replaced by the result", async () => {
    const path = freshDb();
    const migrate = await onTerminal(["migrate"], { DATABASE_PATH: path });
    expect(migrate.code).toBe(0);
    expect(migrate.stdout).toContain(`\r\x1b[2KApplying `);
    expect(migrate.stdout).toContain("0000_init");
    expect(migrate.stdout).toContain(`Applied `);
    const target = join(dir, "progress-backup.db");
    const backup = await onTerminal(["backup", target], { DATABASE_PATH: path });
    expect(backup.code).toBe(0);
    expect(backup.stdout).toContain(`\r\x1b[2KBacking up ${path}: `);
    expect(backup.stdout).toContain(`Backed up ${path} to ${target}`);
  });

  test("not on a terminal, they print their result line only", async () => {
    const path = freshDb();
    const migrate = await hookrelay(["migrate"], { env: { DATABASE_PATH: path } });
    expect(lines(migrate.stderr)).toHaveLength(1);
    expect(migrate.stderr).not.toContain("\x1b");
    const backup = await hookrelay(["backup", join(dir, "quiet-backup.db")], { env: { DATABASE_PATH: path } });
    expect(backup.code).toBe(0);
    expect(lines(backup.stderr)).toHaveLength(1);
    expect(backup.stderr).toStartWith(`Backed up ${path} to `);
    expect(backup.stderr).not.toContain("\x1b");
  });
});
