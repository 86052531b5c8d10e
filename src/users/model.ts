// Shapes of user management on the API-key surface. A managed user is the user of surface B
// (auth/model.ts) plus whether it is disabled; password hashes are never in any of them.
import { t } from "elysia";
import { UserSchema } from "../auth/model";

export const ManagedUserSchema = t.Object({
  ...UserSchema.properties,
  disabledAt: t.Union([t.String(), t.Null()], {
    description: "When the user was disabled (no sign-in, no session), or null.",
    examples: [null],
  }),
});

const NAME_RULE = "Must be a string of at most 200 characters or null";

export const UserIdParams = t.Object({ id: t.String({ description: "User ID." }) });

export const UpdateUserBody = t.Object(
  {
    name: t.Optional(t.Union([t.String({ maxLength: 200 }), t.Null()], { error: NAME_RULE, examples: ["Ops team"] })),
    disabled: t.Optional(t.Boolean({ error: "Must be true or false" })),
  },
  { error: "Must be a JSON object with name and/or disabled" },
);

export const ResetPasswordBody = t.Object(
  {
    password: t.Optional(
      t.String({ maxLength: 1024, error: "Must be 8 to 256 characters long", description: "The new password; omit it to have one generated." }),
    ),
  },
  { error: "Must be a JSON object, optionally with password" },
);

export const ResetPasswordResponse = t.Object({
  user: ManagedUserSchema,
  password: t.Optional(t.String({ description: "The generated password, shown only in this response (absent when you chose one)." })),
  sessionsEnded: t.Integer({ description: "Sessions of the user that ended." }),
});

export const RevokedSessions = t.Object({ sessionsEnded: t.Integer({ description: "Sessions of the user that ended." }) });

export const ChangePasswordBody = t.Object(
  {
    currentPassword: t.String({ minLength: 1, maxLength: 1024, error: "Must be a non-empty string" }),
    newPassword: t.String({ maxLength: 1024, error: "Must be 8 to 256 characters long" }),
  },
  { error: "Must be a JSON object with currentPassword and newPassword" },
);
