// Recognises unique index violations of either store, so services can turn one into a 409 (and a
// store into a refusal) instead of checking first (a check-then-insert would race).
// SQLite reports its code in `code`; PostgreSQL's SQLSTATE 23505 arrives in Bun's `errno` (its
// `code` names the client's error class). Drizzle wraps either in an error whose `cause` it is.
export function isUniqueViolation(error: unknown): boolean {
  const fieldOf = (e: unknown, field: "code" | "errno") => (e && typeof e === "object" && field in e ? String((e as Record<string, unknown>)[field]) : "");
  const cause = error && typeof error === "object" && "cause" in error ? (error as { cause: unknown }).cause : undefined;
  return [error, cause].some((e) => {
    const code = fieldOf(e, "code");
    return code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY" || code === "23505" || fieldOf(e, "errno") === "23505";
  });
}
