// Surface B sign-in: POST /auth/login hands out a session token; /auth/me and /auth/logout use it.
import { Elysia, t } from "elysia";
import type { AppDeps } from "../deps";
import { TooManyRequests, Unauthorized } from "../http/errors";
import { described, errors } from "../http/schemas";
import { DEFAULT_LOGIN_LIMITS, LoginRateLimiter, type LoginLimits } from "./login-rate-limit";
import { LoginBody, LoginResponse, UserSchema } from "./model";
import { createSession, deleteSession } from "./sessions";
import { userAuth } from "./user-auth";
import { normaliseEmail, verifyCredentials } from "./users";

export const LOGIN_FAILED_MESSAGE = "Invalid email or password";

export function authRoutes({ db }: AppDeps, limits: LoginLimits = DEFAULT_LOGIN_LIMITS) {
  const limiter = new LoginRateLimiter(limits);
  return new Elysia({ prefix: "/auth", detail: { tags: ["Authentication"] } })
    .use(userAuth(db))
    .post(
      "/login",
      async ({ body, request, server }) => {
        const email = normaliseEmail(body.email);
        // The socket address, never X-Forwarded-For: a client could forge that header to
        // escape the limit. Behind a proxy all clients share the proxy's budget.
        const ip = server?.requestIP(request)?.address ?? "unknown";
        const wait = limiter.retryAfterSeconds(email, ip);
        if (wait > 0) throw new TooManyRequests(`Too many login attempts. Try again in ${wait} seconds`, wait);
        const release = limiter.begin(email, ip);
        // Unknown email and wrong password take the same time and get the same answer.
        const user = await verifyCredentials(db, email, body.password);
        if (!user) throw new Unauthorized(LOGIN_FAILED_MESSAGE);
        release();
        return { ...createSession(db, user.id), user };
      },
      {
        body: LoginBody,
        response: { 200: described(LoginResponse, "Signed in: the session token, when it expires, and the user."), ...errors(400, 401, 413, 415, 429, { 401: LOGIN_FAILED_MESSAGE, 429: "Too many login attempts. Try again in 900 seconds" }) },
        detail: {
          operationId: "login",
          summary: "Sign in",
          security: [],
          description:
            "Exchanges email and password for a session token valid for 24 hours. Wrong email and wrong password " +
            "get the same 401. Failed attempts are limited per email (5 per 15 minutes) and all attempts per client " +
            "IP (30 per 15 minutes); over the limit the answer is 429 with Retry-After.",
        },
      },
    )
    .get("/me", ({ user }) => user, {
      user: true,
      response: { 200: described(UserSchema, "The signed-in user."), ...errors(400, 401) },
      detail: { operationId: "getCurrentUser", summary: "Current user", description: "The user the session token belongs to." },
    })
    .post(
      "/logout",
      ({ sessionId, set }) => {
        deleteSession(db, sessionId);
        set.status = 204;
      },
      {
        user: true,
        response: { 204: t.Void({ description: "Signed out: the token no longer works." }), ...errors(400, 401) },
        detail: { operationId: "logout", summary: "Sign out", description: "Ends the session: its token stops working at once." },
      },
    );
}
