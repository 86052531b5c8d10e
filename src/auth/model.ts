// Surface B auth shapes: users, login, sessions. Declared once for validation, types and OpenAPI.
import { t } from "elysia";

/** The 400 message for a malformed email: existing clients match this exact text. */
export const INVALID_EMAIL = "Invalid email format";

export const UserSchema = t.Object({
  id: t.String({ format: "uuid", examples: ["0b9d1f5e-3c2a-4e8b-9f61-2d7c4a5b8e90"] }),
  email: t.String({ examples: ["ops@acme-retail.com"] }),
  name: t.Union([t.String(), t.Null()], { examples: ["Ops team"] }),
  createdAt: t.String({ examples: ["2025-07-21T14:30:00.000Z"] }),
  updatedAt: t.String({ examples: ["2025-07-21T14:30:00.000Z"] }),
});

export const LoginBody = t.Object(
  {
    email: t.String({ minLength: 1, maxLength: 254, error: INVALID_EMAIL, examples: ["ops@acme-retail.com"] }),
    password: t.String({ minLength: 1, maxLength: 1024, error: "Must be a non-empty string" }),
  },
  { error: "Must be a JSON object with email and password" },
);

export const LoginResponse = t.Object({
  token: t.String({ description: "Opaque session token; send it as `Authorization: Bearer <token>`." }),
  expiresAt: t.String({ description: "When the token stops working (24 hours after login).", examples: ["2025-07-22T14:30:00.000Z"] }),
  user: UserSchema,
});

// Only types and hard bounds here; createUser checks the rules (shared with the CLI) and
// reports every bad field at once.
export const CreateUserBody = t.Object(
  {
    email: t.String({ maxLength: 1024, error: INVALID_EMAIL, examples: ["ops@acme-retail.com"] }),
    password: t.String({ maxLength: 1024, error: "Must be 8 to 256 characters long" }),
    name: t.Optional(t.String({ maxLength: 1024, error: "Must be a string of at most 200 characters", examples: ["Ops team"] })),
  },
  { error: "Must be a JSON object with email, password and optionally name" },
);
