// The operator's own event types (docs/api-guide.md#event-types), shared by every tenant. The
// built-in ones are code (events/catalogue.ts) and never stored.

export interface EventTypeRecord {
  name: string;
  description: string;
  /** The JSON Schema of `data`, as sent; null: any object. */
  schemaJson: string | null;
  /** Archived types still publish and reach existing subscribers; new subscriptions are refused. */
  archivedAt: number | null;
  createdAt: number;
  updatedAt: number;
}

/** The fields a PUT sets; absent ones keep their value (or their default, on create). */
export interface EventTypeChanges {
  description?: string;
  schemaJson?: string | null;
  /** true keeps an earlier archive time; false unarchives. */
  archived?: boolean;
}

export interface EventTypeStore {
  get(name: string): Promise<EventTypeRecord | undefined>;
  /** By name. */
  list(): Promise<EventTypeRecord[]>;
  /** Creates the type or updates the fields given, in one transaction. */
  put(name: string, changes: EventTypeChanges, now: number): Promise<{ type: EventTypeRecord; created: boolean }>;
}
