// Domain errors carry their HTTP status; the error handler turns each into the envelope of
// docs/api-guide.md#errors. Handlers and services throw these and never build error bodies themselves.

export interface FieldError {
  field: string;
  message: string;
}

export interface ErrorEnvelope {
  error: string;
  message: string;
  code: number;
  details?: FieldError[];
}

export const REASONS: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  413: "Payload Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Entity",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly details?: FieldError[],
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }

  toEnvelope(): ErrorEnvelope {
    const body: ErrorEnvelope = { error: REASONS[this.status] ?? "Error", message: this.message, code: this.status };
    if (this.details) body.details = this.details;
    return body;
  }
}

export const INVALID_PARAMETERS = "The request contains invalid parameters or malformed data";

export class BadRequest extends HttpError {
  constructor(details?: FieldError[], message = INVALID_PARAMETERS) {
    super(400, message, details);
  }
}

/** Services check every field, collect what is wrong and throw once, with all of it. */
export function rejectInvalidFields(problems: FieldError[]): void {
  if (problems.length > 0) throw new BadRequest(problems);
}

/** A single invalid field. */
export function invalidField(field: string, message: string): BadRequest {
  return new BadRequest([{ field, message }]);
}

export class Unauthorized extends HttpError {
  constructor(message = "Authentication required. Please provide a valid API token") {
    super(401, message);
  }
}

export class Forbidden extends HttpError {
  constructor(message = "You do not have permission to perform this action") {
    super(403, message);
  }
}

export class NotFound extends HttpError {
  constructor(message = "The requested resource was not found") {
    super(404, message);
  }
}

export class Conflict extends HttpError {
  constructor(message: string) {
    super(409, message);
  }
}

export class TooManyRequests extends HttpError {
  constructor(message: string, retryAfterSeconds: number) {
    super(429, message, undefined, { "retry-after": String(retryAfterSeconds) });
  }
}

export class UnprocessableEntity extends HttpError {
  constructor(message: string) {
    super(422, message);
  }
}
