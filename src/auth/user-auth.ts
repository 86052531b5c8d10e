// The `user: true` route option of surface B: `Authorization: Bearer <session token>`.
// Its document answers a missing token with 400 and an invalid or expired one with 401.
// The check runs in `transform`, which Elysia runs before body validation, so the order of
// answers is: no token (400) → bad token (401) → bad body (400) → the route's own checks.
import { Elysia } from "elysia";
import type { Db } from "../db/client";
import { BadRequest, Unauthorized } from "../http/errors";
import { bearerOf } from "./api-key-auth";
import { findSessionUser, type SessionUser } from "./sessions";

export const MISSING_TOKEN_MESSAGE = "Missing authentication token. Send Authorization: Bearer <token> from POST /auth/login";
export const INVALID_TOKEN_MESSAGE = "The authentication token is invalid or has expired. Sign in again with POST /auth/login";

/** The OpenAPI security scheme name (declared in app.ts) these routes require. */
export const SESSION_SECURITY = [{ sessionToken: [] as string[] }];

const resolved = new WeakMap<Request, SessionUser>();

export function userAuth(db: Db) {
  return new Elysia({ name: "auth/user-session" }).macro({
    user: {
      detail: { security: SESSION_SECURITY },
      transform({ request }) {
        const token = bearerOf(request.headers.get("authorization") ?? undefined);
        if (!token) throw new BadRequest([{ field: "authorization", message: "is required" }], MISSING_TOKEN_MESSAGE);
        const session = findSessionUser(db, token);
        if (!session) throw new Unauthorized(INVALID_TOKEN_MESSAGE);
        resolved.set(request, session);
      },
      resolve({ request }) {
        const session = resolved.get(request);
        if (!session) throw new Unauthorized(INVALID_TOKEN_MESSAGE);
        return { user: session.user, sessionId: session.sessionId };
      },
    },
  });
}
