// Users of surface B (DESIGN.md §3). Passwords are hashed with Bun.password (argon2id); e-mail
// addresses are stored lower-cased so uniqueness ignores case.
import { eq } from "drizzle-orm";
import type { Db } from "../db/client";
import { users } from "../db/schema";
import { Conflict, invalidField } from "../http/errors";

export interface NewUser {
  email: string;
  password: string;
  name?: string;
}

export interface User {
  id: string;
  email: string;
  name: string | null;
  createdAt: number;
  updatedAt: number;
}

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 1024;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export async function createUser(db: Db, input: NewUser): Promise<User> {
  const email = input.email.trim().toLowerCase();
  if (email.length > 254 || !EMAIL.test(email)) throw invalidField("email", "Invalid email format");
  if (input.password.length < PASSWORD_MIN_LENGTH || input.password.length > PASSWORD_MAX_LENGTH) {
    throw invalidField("password", `Password must be ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters long`);
  }
  const name = input.name?.trim() || null;
  if (name !== null && name.length > 200) throw invalidField("name", "Name must be at most 200 characters long");

  const passwordHash = await Bun.password.hash(input.password, { algorithm: "argon2id" });
  const now = Date.now();
  const user: User = { id: crypto.randomUUID(), email, name, createdAt: now, updatedAt: now };
  // The unique index decides between racing creates; the pre-check only gives the common case a clear message.
  if (db.select({ id: users.id }).from(users).where(eq(users.email, email)).get()) {
    throw new Conflict(`A user with email ${email} already exists`);
  }
  try {
    db.insert(users).values({ ...user, passwordHash }).run();
  } catch (e) {
    if ((e as { code?: string }).code === "SQLITE_CONSTRAINT_UNIQUE") throw new Conflict(`A user with email ${email} already exists`);
    throw e;
  }
  return user;
}
