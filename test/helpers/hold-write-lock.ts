// A separate process that holds SQLite's write lock on a database file (BEGIN IMMEDIATE) until
// it reads a line on stdin, then commits and exits. Used to prove the server neither freezes nor
// fails while another process (a one-shot command, a sqlite3 shell) holds the lock.
import Database from "better-sqlite3";

const db = new Database(process.argv[2]!);
db.pragma("busy_timeout = 10000");
db.exec("BEGIN IMMEDIATE");
process.stdout.write("locked\n");
for await (const _ of console) break;
db.exec("COMMIT");
db.close();
process.stdout.write("released\n");
