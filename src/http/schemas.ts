// Response shapes common to every route, for OpenAPI and response validation.
import { t, type TSchema } from "elysia";

export const Pagination = t.Object({ next_cursor: t.Union([t.String(), t.Null()]), has_more: t.Boolean() });

export const Success = <T extends TSchema>(data: T) => t.Object({ success: t.Literal(true), data });

export const SuccessPage = <T extends TSchema>(item: T) =>
  t.Object({ success: t.Literal(true), data: t.Array(item), pagination: Pagination });

export const ErrorBody = t.Object(
  {
    error: t.String({ examples: ["Bad Request"] }),
    message: t.String({ examples: ["The request contains invalid parameters or malformed data"] }),
    code: t.Integer({ examples: [400] }),
    details: t.Optional(t.Array(t.Object({ field: t.String(), message: t.String() }))),
  },
  { description: "The error envelope shared by every route." },
);

/** OpenAPI error responses for the statuses a route can answer. */
export function errors(...statuses: number[]): Record<number, typeof ErrorBody> {
  return Object.fromEntries(statuses.map((s) => [s, ErrorBody]));
}
