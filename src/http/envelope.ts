// Success shapes shared by surface A: `{success, data}` and, for lists, `pagination`.

export interface Pagination {
  next_cursor: string | null;
  has_more: boolean;
}

export function ok<T>(data: T): { success: true; data: T } {
  return { success: true, data };
}

export function page<T>(data: T[], pagination: Pagination): { success: true; data: T[]; pagination: Pagination } {
  return { success: true, data, pagination };
}
