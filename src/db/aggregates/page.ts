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
