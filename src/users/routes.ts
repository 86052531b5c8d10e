// User management on the API-key surface (platform keys): surface B users are created, listed,
// renamed, disabled, deleted, have their password reset and their sessions ended here, or with
// the `users` CLI commands, which call the same service.
import { Elysia, t } from "elysia";
import { apiKeyAuth, PLATFORM_ONLY_MESSAGE } from "../auth/api-key-auth";
import { CreateUserBody } from "../auth/model";
import { createUser, newUserFieldErrors } from "../auth/users";
import type { AppDeps } from "../deps";
import { ok, page } from "../http/envelope";
import { fieldChecks, fieldsOf, type CheckedInput } from "../http/field-errors";
import { pageChecks, PageQuery } from "../http/pagination";
import { errors, Success, SuccessPage } from "../http/schemas";
import { ManagedUserSchema, ResetPasswordBody, ResetPasswordResponse, RevokedSessions, UpdateUserBody, UserIdParams } from "./model";
import { deleteUser, getUser, listUsers, resetPassword, revokeSessions, updateUser, USER_NOT_FOUND } from "./service";

// The service's own checks, run beside the schema's when it refuses a body (http/field-errors.ts).
const newUserChecks = ({ body }: CheckedInput) => newUserFieldErrors(fieldsOf(body));

const NO_USER = { 404: USER_NOT_FOUND, 403: PLATFORM_ONLY_MESSAGE };

export function userAdminRoutes({ store }: AppDeps) {
  const { users } = store;
  return new Elysia({ prefix: "/api/v1/users", detail: { tags: ["Users"] } })
    .use(apiKeyAuth)
    .use(fieldChecks)
    .post(
      "",
      async ({ body, set }) => {
        const user = await createUser(users, body);
        set.status = 201;
        return ok(await getUser(users, user.id));
      },
      {
        platformOnly: true,
        body: CreateUserBody,
        fieldChecks: newUserChecks,
        response: {
          201: Success(ManagedUserSchema, "The new user (never the password)."),
          ...errors(400, 401, 403, 409, 413, 415, { 409: "A user with this email already exists", 403: PLATFORM_ONLY_MESSAGE }),
        },
        detail: {
          operationId: "createUser",
          summary: "Create user",
          description:
            "Creates a user who can sign in with POST /auth/login and manage traffic sources. The email is stored " +
            "lower-cased and must be unique (409 otherwise). The password (8–256 characters) is stored as an argon2id hash.",
        },
      },
    )
    .get(
      "",
      async ({ query }) => {
        const { data, pagination } = await listUsers(store, query);
        return page(data, pagination);
      },
      {
        platformOnly: true,
        query: t.Object(PageQuery),
        fieldChecks: pageChecks(store.cursors),
        response: { 200: SuccessPage(ManagedUserSchema, "A page of users, newest first."), ...errors(400, 401, 403, { 403: PLATFORM_ONLY_MESSAGE }) },
        detail: { operationId: "listUsers", summary: "List users", description: "Newest first, in cursor pages (`limit` 1–100, `cursor`)." },
      },
    )
    .get("/:id", async ({ params }) => ok(await getUser(users, params.id)), {
      platformOnly: true,
      params: UserIdParams,
      response: { 200: Success(ManagedUserSchema, "The user."), ...errors(401, 403, 404, NO_USER) },
      detail: { operationId: "getUser", summary: "Get user" },
    })
    .patch("/:id", async ({ params, body }) => ok(await updateUser(users, params.id, body)), {
      platformOnly: true,
      params: UserIdParams,
      body: UpdateUserBody,
      response: { 200: Success(ManagedUserSchema, "The user after the change."), ...errors(400, 401, 403, 404, 413, 415, NO_USER) },
      detail: {
        operationId: "updateUser",
        summary: "Update user",
        description:
          "Changes `name` (a string, or null to remove it) and/or `disabled`. A disabled user cannot sign in " +
          "(the same 401 as a wrong password) and every session ends at once; `disabled: false` lets them sign in again.",
      },
    })
    .delete(
      "/:id",
      async ({ params, set }) => {
        await deleteUser(users, params.id);
        set.status = 204;
      },
      {
        platformOnly: true,
        params: UserIdParams,
        response: { 204: t.Void({ description: "Deleted, with their sessions and traffic sources." }), ...errors(401, 403, 404, NO_USER) },
        detail: {
          operationId: "deleteUser",
          summary: "Delete user",
          description: "Deletes the user with their sessions and the traffic sources they own (and those sources' alert webhooks and deliveries).",
        },
      },
    )
    .post("/:id/password", async ({ params, body }) => ok(await resetPassword(users, params.id, body?.password)), {
      platformOnly: true,
      params: UserIdParams,
      body: t.Optional(ResetPasswordBody),
      response: {
        200: Success(ResetPasswordResponse, "The new password when it was generated (shown only here)."),
        ...errors(400, 401, 403, 404, 413, 415, NO_USER),
      },
      detail: {
        operationId: "resetUserPassword",
        summary: "Reset password",
        description:
          "Sets the `password` given (8–256 characters) or, without one, generates a password and returns it in this " +
          "response only. Every session of the user ends at once.",
      },
    })
    .delete("/:id/sessions", async ({ params }) => ok({ sessionsEnded: await revokeSessions(users, params.id) }), {
      platformOnly: true,
      params: UserIdParams,
      response: { 200: Success(RevokedSessions, "How many sessions ended."), ...errors(401, 403, 404, NO_USER) },
      detail: { operationId: "endUserSessions", summary: "End user's sessions", description: "Every session token of the user stops working at once." },
    });
}
