// One page of a newest-first list. The cursor is opaque: the store that made it reads it back.
export interface PageRequest {
  limit: number;
  /** `nextCursor` of the previous page; absent for the first page. */
  cursor?: string;
}

export interface Page<T> {
  rows: T[];
  /** Null on the last page. */
  nextCursor: string | null;
}

/**
 * Which list cursors are a store's own. Each store has one cursor format for all its lists
 * (SQLite a rowid, PostgreSQL a (created_at, id) pair), so a route asks before it lists and
 * answers any other string, another store's cursor included, with a 400 naming `cursor`.
 */
export interface ListCursors {
  isOwn(cursor: string): boolean;
}
