// Surface B test users: created through the real service, signed in through the real route.
import { createUser } from "../../src/auth/users";
import type { TestApp } from "./app";

export interface SignedInUser {
  id: string;
  email: string;
  password: string;
  token: string;
  auth: { bearer: string };
}

export async function signIn(app: TestApp, email: string, password = "correct horse battery"): Promise<SignedInUser> {
  const user = await createUser(app.deps.store.users, { email, password });
  const res = await app.request("POST", "/auth/login", { email, password }, { auth: "none" });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${res.text}`);
  return { id: user.id, email, password, token: res.body.token, auth: { bearer: res.body.token } };
}
