// User management on the API-key surface (platform keys): surface B users are created, listed,
// renamed, disabled, deleted, have their password reset and their sessions ended here, or with
// the `users` CLI commands, which call the same service.
import { Elysia, t } from "elysia";
import { platformKeyAuth } from "../auth/api-key-auth";
import { CreateUserBody } from "../auth/model";
import { createUser } from "../auth/users";
import type { AppDeps } from "../deps";
import { ok, page } from "../http/envelope";
import { PageQuery } from "../http/pagination";
import { errors, Success, SuccessPage } from "../http/schemas";
import { ManagedUserSchema, ResetPasswordBody, ResetPasswordResponse, RevokedSessions, UpdateUserBody, UserIdParams } from "./model";
import { deleteUser, getUser, listUsers, resetPassword, revokeSessions, updateUser } from "./service";

export function userAdminRoutes({ db }: AppDeps) {
  return new Elysia({ prefix: "/api/v1/users", detail: { tags: ["Users"] } })
    .use(platformKeyAuth)
    .post(
      "",
      async ({ body, set }) => {
        const user = await createUser(db, body);
        set.status = 201;
        return ok(getUser(db, user.id));
      },
      {
        platformKey: true,
        body: CreateUserBody,
        response: { 201: Success(ManagedUserSchema), ...errors(400, 401, 409, 413, 415) },
        detail: {
          summary: "Create user",
          description:
            "Creates a user who can sign in with POST /auth/login and manage traffic sources. The email is stored " +
            "lower-cased and must be unique (409 otherwise). The password (8–256 characters) is stored as an argon2id hash.",
        },
      },
    )
    .get(
      "",
      ({ query }) => {
        const { data, pagination } = listUsers(db, query);
        return page(data, pagination);
      },
      {
        platformKey: true,
        query: t.Object(PageQuery),
        response: { 200: SuccessPage(ManagedUserSchema), ...errors(400, 401) },
        detail: { summary: "List users", description: "Newest first, in cursor pages (`limit` 1–100, `cursor`)." },
      },
    )
    .get("/:id", ({ params }) => ok(getUser(db, params.id)), {
      platformKey: true,
      params: UserIdParams,
      response: { 200: Success(ManagedUserSchema), ...errors(401, 404) },
      detail: { summary: "Get user" },
    })
    .patch("/:id", ({ params, body }) => ok(updateUser(db, params.id, body)), {
      platformKey: true,
      params: UserIdParams,
      body: UpdateUserBody,
      response: { 200: Success(ManagedUserSchema), ...errors(400, 401, 404, 413, 415) },
      detail: {
        summary: "Update user",
        description:
          "Changes `name` (a string, or null to remove it) and/or `disabled`. A disabled user cannot sign in " +
          "(the same 401 as a wrong password) and every session ends at once; `disabled: false` lets them sign in again.",
      },
    })
    .delete(
      "/:id",
      ({ params, set }) => {
        deleteUser(db, params.id);
        set.status = 204;
      },
      {
        platformKey: true,
        params: UserIdParams,
        response: { 204: t.Void(), ...errors(401, 404) },
        detail: {
          summary: "Delete user",
          description: "Deletes the user with their sessions and the traffic sources they own (and those sources' alert webhooks and deliveries).",
        },
      },
    )
    .post("/:id/password", async ({ params, body }) => ok(await resetPassword(db, params.id, body?.password)), {
      platformKey: true,
      params: UserIdParams,
      body: t.Optional(ResetPasswordBody),
      response: { 200: Success(ResetPasswordResponse), ...errors(400, 401, 404, 413, 415) },
      detail: {
        summary: "Reset password",
        description:
          "Sets the `password` given (8–256 characters) or, without one, generates a password and returns it in this " +
          "response only. Every session of the user ends at once.",
      },
    })
    .delete("/:id/sessions", ({ params }) => ok({ sessionsEnded: revokeSessions(db, params.id) }), {
      platformKey: true,
      params: UserIdParams,
      response: { 200: Success(RevokedSessions), ...errors(401, 404) },
      detail: { summary: "End user's sessions", description: "Every session token of the user stops working at once." },
    });
}
