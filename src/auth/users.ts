// Users of surface B: created by an admin (API or CLI), signing in with email and password.
// Passwords are hashed with argon2id (Bun.password); emails are lower-cased on the way in so
// uniqueness and sign-in are case-insensitive.
import type { UserRecord, UserStore } from "../db/aggregates/users";
import { Conflict, rejectInvalidFields, type FieldError } from "../http/errors";
import { INVALID_EMAIL } from "./model";
import { iso } from "../ids";

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 256;
export const EMAIL_MAX_LENGTH = 254;
const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export interface User {
  id: string;
  email: string;
  name: string | null;
  createdAt: string;
  updatedAt: string;
}

export function toUser(row: UserRecord): User {
  return { id: row.id, email: row.email, name: row.name, createdAt: iso(row.createdAt), updatedAt: iso(row.updatedAt) };
}

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

export interface NewUser {
  email: string;
  password: string;
  name?: string | null;
}

/** The rule a password breaks, or undefined. */
export function passwordProblem(password: string): string | undefined {
  if (password.length >= PASSWORD_MIN_LENGTH && password.length <= PASSWORD_MAX_LENGTH) return undefined;
  return `Must be ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters long`;
}

export function hashPassword(password: string): Promise<string> {
  return Bun.password.hash(password, { algorithm: "argon2id" });
}

/** Every rule of a new user's fields, checked together; a field of the wrong type is the schema's to report. */
export function newUserFieldErrors(input: { email?: unknown; password?: unknown; name?: unknown }): FieldError[] {
  const problems: FieldError[] = [];
  if (typeof input.email === "string") {
    const email = normaliseEmail(input.email);
    if (!EMAIL_PATTERN.test(email)) problems.push({ field: "email", message: INVALID_EMAIL });
    else if (email.length > EMAIL_MAX_LENGTH) problems.push({ field: "email", message: `Must be at most ${EMAIL_MAX_LENGTH} characters` });
  }
  const passwordRule = typeof input.password === "string" ? passwordProblem(input.password) : undefined;
  if (passwordRule) problems.push({ field: "password", message: passwordRule });
  if (typeof input.name === "string" && input.name.trim().length > 200) problems.push({ field: "name", message: "Must be at most 200 characters" });
  return problems;
}

/**
 * Creates a user. Used by `POST /api/v1/users` and the `users create` CLI command; throws a 400
 * naming the field for a bad email/password/name and a 409 when the email is taken.
 */
export async function createUser(users: UserStore, input: NewUser): Promise<User> {
  rejectInvalidFields(newUserFieldErrors(input));
  const email = normaliseEmail(input.email);
  const name = input.name?.trim() || null;
  const passwordHash = await hashPassword(input.password);
  const now = Date.now();
  const row = await users.create({ id: crypto.randomUUID(), email, name, passwordHash, createdAt: now, updatedAt: now, disabledAt: null });
  if (!row) throw new Conflict("A user with this email already exists");
  return toUser(row);
}

// Verified against when the email is unknown, so a miss costs the same argon2 work as a hit
// and response time does not reveal which emails have accounts.
let dummyHash: Promise<string> | undefined;
function dummyPasswordHash(): Promise<string> {
  dummyHash ??= Bun.password.hash(crypto.randomUUID(), { algorithm: "argon2id" });
  return dummyHash;
}

/**
 * The user whose email and password match, or undefined; the same work is done either way. A
 * disabled user gets the same answer as a wrong password.
 */
export async function verifyCredentials(users: UserStore, email: string, password: string): Promise<User | undefined> {
  const row = await users.byEmail(normaliseEmail(email));
  const matches = await passwordMatches(password, row?.passwordHash);
  return row && matches && row.disabledAt === null ? toUser(row) : undefined;
}

/** Checks a password against a stored hash, or against a dummy one (same cost) when there is none. */
export async function passwordMatches(password: string, hash: string | undefined): Promise<boolean> {
  const against = hash ?? (await dummyPasswordHash());
  const matches = await Bun.password.verify(password, against).catch(() => false);
  return hash !== undefined && matches;
}
