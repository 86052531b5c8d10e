// Recognises SQLite constraint failures, so services can turn a unique index violation into a
// 409 instead of checking first (a check-then-insert would race).
export function isUniqueViolation(error: unknown): boolean {
  const codeOf = (e: unknown) => (e && typeof e === "object" && "code" in e ? String((e as { code: unknown }).code) : "");
  const cause = error && typeof error === "object" && "cause" in error ? (error as { cause: unknown }).cause : undefined;
  return [codeOf(error), codeOf(cause)].some((c) => c === "SQLITE_CONSTRAINT_UNIQUE" || c === "SQLITE_CONSTRAINT_PRIMARYKEY");
}
