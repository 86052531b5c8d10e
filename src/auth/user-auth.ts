// Session-token authentication for surface B: `Authorization: Bearer <token from /auth/login>`.
// Its document answers a missing token with 400 and an invalid or expired one with 401.
// Like the API-key gate, the check runs when the request arrives, before the body is read or
// validated, so the order of answers is: no token (400) → bad token (401) → bad body
// (400/413/415) → the route's own checks. The `user: true` route option hands the user over.
import { Elysia } from "elysia";
import type { SessionStore } from "../db/aggregates/users";
import { BadRequest, Unauthorized } from "../http/errors";
import { bearerOf, pathOf } from "./api-key-auth";
import { findSessionUser, type SessionUser } from "./sessions";

export const MISSING_TOKEN_MESSAGE = "Missing authentication token. Send Authorization: Bearer <token> from POST /auth/login";
export const INVALID_TOKEN_MESSAGE = "The authentication token is invalid or has expired. Sign in again with POST /auth/login";

/** The OpenAPI security requirement (scheme declared in app.ts) of session routes. */
export const SESSION_SECURITY = [{ sessionToken: [] as string[] }];

/** Paths that need a session: /traffic-sources…, /webhooks/…, /auth/me, /auth/logout, /auth/password. */
const SESSION_PATH = /^\/(?:traffic-sources|webhooks|auth\/me|auth\/logout|auth\/password)(?:[/?#]|$)/;

const authenticated = new WeakMap<Request, SessionUser>();

async function authenticate(sessions: SessionStore, request: Request): Promise<SessionUser> {
  const token = bearerOf(request.headers.get("authorization"));
  if (!token) throw new BadRequest([{ field: "authorization", message: "Is required" }], MISSING_TOKEN_MESSAGE);
  const session = await findSessionUser(sessions, token);
  if (!session) throw new Unauthorized(INVALID_TOKEN_MESSAGE);
  authenticated.set(request, session);
  return session;
}

/** Registered once by the app: checks the session token of surface B requests on arrival. */
export function sessionGate(sessions: SessionStore) {
  return new Elysia({ name: "auth/session-gate" }).onRequest(async ({ request }) => {
    if (SESSION_PATH.test(pathOf(request.url))) await authenticate(sessions, request);
  });
}

/** Route option `user: true`: resolves `user` and `sessionId`, and documents the bearer scheme. */
export function userAuth(sessions: SessionStore) {
  return new Elysia({ name: "auth/user-session" }).macro({
    user: {
      detail: { security: SESSION_SECURITY },
      async resolve({ request }) {
        // The gate has normally run; checking here too keeps a route safe in an app without it.
        const session = authenticated.get(request) ?? (await authenticate(sessions, request));
        return { user: session.user, sessionId: session.sessionId };
      },
    },
  });
}
