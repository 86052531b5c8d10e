// Admin user management on the API-key surface: surface B users are created here (or by the
// `users create` CLI command, which calls the same createUser).
import { Elysia } from "elysia";
import { apiKeyAuth } from "../auth/api-key-auth";
import { CreateUserBody, UserSchema } from "../auth/model";
import { createUser, newUserFieldErrors } from "../auth/users";
import type { AppDeps } from "../deps";
import { ok } from "../http/envelope";
import { fieldChecks, fieldsOf, type CheckedInput } from "../http/field-errors";
import { errors, Success } from "../http/schemas";

// The service's own checks, run beside the schema's when it refuses a body (http/field-errors.ts).
const newUserChecks = ({ body }: CheckedInput) => newUserFieldErrors(fieldsOf(body));

export function userAdminRoutes({ db }: AppDeps) {
  return new Elysia({ prefix: "/api/v1/users", detail: { tags: ["Users"] } }).use(apiKeyAuth).use(fieldChecks).post(
    "",
    async ({ body, set }) => {
      const user = await createUser(db, body);
      set.status = 201;
      return ok(user);
    },
    {
      platformOnly: true,
      body: CreateUserBody,
      fieldChecks: newUserChecks,
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
