// The `apiKey: true` route option: accepts `Authorization: Bearer <key>` or `x-api-key: <key>`.
import { Elysia } from "elysia";
import type { Db } from "../db/client";
import { Unauthorized } from "../http/errors";
import { verifyApiKey } from "./api-keys";

export function bearerOf(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

export function apiKeyAuth(db: Db) {
  return new Elysia({ name: "auth/api-key" }).macro({
    apiKey: {
      resolve({ headers }) {
        const key = bearerOf(headers.authorization) ?? headers["x-api-key"]?.trim();
        const apiKeyId = key ? verifyApiKey(db, key) : undefined;
        if (!apiKeyId) throw new Unauthorized();
        return { apiKeyId };
      },
    },
  });
}
