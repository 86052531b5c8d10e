// Surface B sign-in: POST /auth/login hands out a session token; /auth/me, /auth/logout and
// /auth/password use it.
import { Elysia, t } from "elysia";
import type { AppDeps } from "../deps";
import { invalidField, TooManyRequests, Unauthorized } from "../http/errors";
import { described, errors } from "../http/schemas";
import { ChangePasswordBody } from "../users/model";
import { changeOwnPassword } from "../users/service";
import { DEFAULT_LOGIN_LIMITS, LoginThrottle, type LoginAttempt, type LoginLimits } from "./login-rate-limit";
import { LoginBody, LoginResponse, UserSchema } from "./model";
import { createSession } from "./sessions";
import { userAuth } from "./user-auth";
import { normaliseEmail, passwordProblem, verifyCredentials } from "./users";

export const LOGIN_FAILED_MESSAGE = "Invalid email or password";

/**
 * The socket address, never X-Forwarded-For: a client could forge that header to escape the
 * limits. Behind a proxy all clients share the proxy's budget.
 */
function clientAddress(server: { requestIP(request: Request): { address: string } | null } | null, request: Request): string {
  return server?.requestIP(request)?.address ?? "unknown";
}

export function authRoutes({ store }: AppDeps, limits: LoginLimits = DEFAULT_LOGIN_LIMITS) {
  const throttle = new LoginThrottle(store.loginThrottle, limits);
  /** A password check for `email` may run now (and is counted), or the request is answered 429. */
  const admit = async (email: string, address: string): Promise<LoginAttempt> => {
    const decision = await throttle.begin(email, address);
    if (!decision.attempt) {
      const wait = decision.retryAfterSeconds;
      throw new TooManyRequests(`Too many login attempts. Try again in ${wait} seconds`, wait);
    }
    return decision.attempt;
  };
  return new Elysia({ prefix: "/auth", detail: { tags: ["Authentication"] } })
    .use(userAuth(store.sessions))
    .post(
      "/login",
      async ({ body, request, server }) => {
        const email = normaliseEmail(body.email);
        const attempt = await admit(email, clientAddress(server, request));
        // Unknown email and wrong password take the same time and get the same answer.
        const user = await verifyCredentials(store.users, email, body.password);
        if (!user) {
          await attempt.failed();
          throw new Unauthorized(LOGIN_FAILED_MESSAGE);
        }
        await attempt.succeeded(user.id);
        return { ...(await createSession(store.sessions, user.id)), user };
      },
      {
        body: LoginBody,
        response: { 200: described(LoginResponse, "Signed in: the session token, when it expires, and the user."), ...errors(400, 401, 413, 415, 429, { 401: LOGIN_FAILED_MESSAGE, 429: "Too many login attempts. Try again in 900 seconds" }) },
        detail: {
          operationId: "login",
          summary: "Sign in",
          security: [],
          description:
            "Exchanges email and password for a session token valid for 24 hours. Wrong email, wrong password and a " +
            "disabled user get the same 401. Failed attempts are limited per email and client address (5 per 15 minutes), " +
            "all attempts per client address (30 per 15 minutes), and past 20 failures in 15 minutes an account's " +
            "further attempts wait a delay that doubles up to a minute (not for addresses the user signed in from " +
            "before); over a limit the answer is 429 with Retry-After.",
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
      async ({ sessionId, set }) => {
        await store.sessions.delete(sessionId);
        set.status = 204;
      },
      {
        user: true,
        response: { 204: t.Void({ description: "Signed out: the token no longer works." }), ...errors(400, 401) },
        detail: { operationId: "logout", summary: "Sign out", description: "Ends the session: its token stops working at once." },
      },
    )
    .post(
      "/password",
      async ({ body, user, sessionId, request, server, set }) => {
        const rule = passwordProblem(body.newPassword);
        if (rule) throw invalidField("newPassword", rule);
        // Throttled like sign-in: a stolen token must not become a way to guess the password.
        const attempt = await admit(user.email, clientAddress(server, request));
        const changed = await changeOwnPassword(store.users, user.id, body, sessionId);
        if (!changed) {
          await attempt.failed();
          throw invalidField("currentPassword", "Is not the current password");
        }
        await attempt.succeeded(user.id);
        set.status = 204;
      },
      {
        user: true,
        body: ChangePasswordBody,
        response: { 204: t.Void({ description: "Changed: the other sessions ended, this one goes on." }), ...errors(400, 401, 413, 415, 429) },
        detail: {
          operationId: "changeOwnPassword",
          summary: "Change own password",
          description:
            "Sets a new password (8–256 characters) for the signed-in user, who must give the current one (400 naming " +
            "`currentPassword` otherwise, throttled like sign-in). Every other session of the user ends; this one stays.",
        },
      },
    );
}
