// Admin user management on the API-key surface: surface B users are created here (or by the
// `users create` CLI command, which calls the same createUser).
import { Elysia } from "elysia";
import { apiKeyAuth } from "../auth/api-key-auth";
import { CreateUserBody, UserSchema } from "../auth/model";
import { createUser } from "../auth/users";
import type { AppDeps } from "../deps";
import { ok } from "../http/envelope";
import { errors, Success } from "../http/schemas";

export function userAdminRoutes({ db }: AppDeps) {
  return new Elysia({ prefix: "/api/v1/users", detail: { tags: ["Users"] } }).use(apiKeyAuth).post(
    "",
    async ({ body, set }) => {
      const user = await createUser(db, body);
      set.status = 201;
      return ok(user);
    },
    {
      platformOnly: true,
      body: CreateUserBody,
      response: { 201: Success(UserSchema, "The new user (never the password)."), ...errors(400, 401, 403, 409, 413, 415, { 409: "A user with this email already exists" }) },
      detail: {
        operationId: "createUser",
        summary: "Create user",
        description:
          "Creates a user who can sign in with POST /auth/login and manage traffic sources. The email is stored " +
          "lower-cased and must be unique (409 otherwise). The password (8–256 characters) is stored as an argon2id hash.",
      },
    },
  );
}
