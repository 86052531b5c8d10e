// Sign-in attempts, kept in the database so every process (and node) shares the counts. The
// policy (auth/login-rate-limit.ts) decides from the facts read here, inside the transaction
// that records the attempt, so two concurrent attempts see each other.

export interface AttemptKey {
  /** Lower-cased. */
  email: string;
  /** As counted (an IPv6 client by its /64). */
  address: string;
}

/** Where each window starts and how many attempts fill it. */
export interface ThrottleQuery {
  addressSince: number;
  addressMax: number;
  pairSince: number;
  pairMax: number;
  accountSince: number;
  knownSince: number;
}

export interface ThrottleFacts {
  /** Time of the `addressMax`-th latest attempt from the address in its window, if there were that many. */
  addressNth: number | undefined;
  /** Time of the `pairMax`-th latest failure on the account from the address in its window. */
  pairNth: number | undefined;
  /** Failures on the account from every address in its window, and the latest one's time. */
  accountFailures: number;
  lastAccountFailure: number | null;
  /** The user signed in from this address since `knownSince`. */
  knownAddress: boolean;
}

export interface LoginThrottleStore {
  /**
   * In one write transaction: reads the facts, asks `waitMs` and, when it answers 0, records a
   * pending attempt (counted as a failure until told otherwise) and returns its id.
   */
  begin(
    key: AttemptKey,
    query: ThrottleQuery,
    now: number,
    waitMs: (facts: ThrottleFacts) => number,
  ): Promise<{ waitMs: number; attemptId?: undefined } | { waitMs: 0; attemptId: string }>;
  /** The attempt's password was right: it stops counting, and the address is known for the user. */
  succeeded(attemptId: string, userId: string, address: string, now: number): Promise<void>;
  failed(attemptId: string): Promise<void>;
  /** Deletes attempts at or before `attemptsUntil` and known addresses last used at or before `knownUntil`. */
  prune(attemptsUntil: number, knownUntil: number): Promise<void>;
}
