/**
 * Typed errors of the domain. One middleware (`twilioErrors` in lib/http/middleware.ts) turns each into Twilio's
 * error JSON `{code, message, more_info, status}` with the same HTTP status.
 */
export abstract class TwilioError extends Error {
  abstract readonly status: number;
  abstract readonly code: number;
  /** Extra response headers, e.g. `Retry-After` or `WWW-Authenticate`. */
  readonly headers: Record<string, string> = {};
  /** Where the error is explained; Twilio's page of the code unless given. */
  get moreInfo(): string {
    return `https://www.twilio.com/docs/errors/${this.code}`;
  }
}

/**
 * What the upstream TaskRouter answered (connected mode), passed through unchanged: its status,
 * code, message and more_info, and its Retry-After.
 */
export class UpstreamError extends TwilioError {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
    private readonly upstreamMoreInfo: string | undefined,
    headers: Record<string, string> = {},
  ) {
    super(message);
    Object.assign(this.headers, headers);
  }

  override get moreInfo(): string {
    return this.upstreamMoreInfo ?? super.moreInfo;
  }
}

/** The upstream's answer could not be had, or settled, in time: nothing is claimed (502, or 504 for a time-out). */
export class UpstreamUnsettledError extends TwilioError {
  readonly code = 20503;
  constructor(
    readonly status: 502 | 504,
    message: string,
  ) {
    super(message);
    this.headers['Retry-After'] = '1';
  }
}

export class NotFoundError extends TwilioError {
  readonly status = 404;
  readonly code = 20404;
  constructor(resourcePath: string) {
    super(`The requested resource ${resourcePath} was not found`);
  }
}

/** A resource this deployment does not serve as it is configured (404), saying which setting. */
export class NotServedError extends TwilioError {
  readonly status = 404;
  readonly code = 20404;
}

/** Twilio's 405: the resource is there, but not for this HTTP method; `Allow` names the methods that are. */
export class MethodNotAllowedError extends TwilioError {
  readonly status = 405;
  readonly code = 20004;
  constructor(method: string, allowed: readonly string[]) {
    super(`Method ${method} not allowed: this resource takes ${allowed.join(', ')}`);
    this.headers['Allow'] = allowed.join(', ');
  }
}

export class InvalidParameterError extends TwilioError {
  readonly status = 400;
  readonly code = 20001;
  constructor(
    readonly parameter: string,
    detail: string,
  ) {
    super(`Invalid parameter ${parameter}: ${detail}`);
  }
}

/** Acting on a reservation whose status does not allow the action (TaskRouter answers 400). */
export class ReservationStateError extends TwilioError {
  readonly status = 400;
  readonly code = 20001;
  constructor(reservationSid: string, requiredState: string) {
    super(`Reservation ${reservationSid} is not currently in ${requiredState} state`);
  }
}

/** Extending the wrap-up of a reservation whose wrap-up has no time limit (no lifecycle rule gave it one). */
export class WrapUpLimitError extends TwilioError {
  readonly status = 400;
  readonly code = 20001;
  constructor(reservationSid: string) {
    super(`Reservation ${reservationSid} has no wrap-up time limit to extend (its lifecycle rule sets no wrapUpSeconds)`);
  }
}

/** A Task update the task's status does not allow (400, code 20001), in TaskRouter's words (lib/domain/task-change.ts). */
export class TaskStateError extends TwilioError {
  readonly status = 400;
  readonly code = 20001;
}

/** A task whose reservations cannot grow any further (item size bound, see lib/store). */
export class TaskLimitError extends TwilioError {
  readonly status = 400;
  readonly code = 20001;
}

/** The record kept changing under a write: the client may retry. */
export class ConflictError extends TwilioError {
  readonly status = 409;
  readonly code = 20409;
}

export class PreconditionFailedError extends TwilioError {
  readonly status = 412;
  readonly code = 20412;
  constructor(expected: string, actual: string) {
    super(`Precondition Failed: If-Match ${expected} does not match the current ETag ${actual}`);
  }
}

export class AuthenticationError extends TwilioError {
  readonly status = 401;
  readonly code = 20003;
  override readonly headers = { 'WWW-Authenticate': 'Basic realm="Twilio API"' };
  constructor(message = 'Authenticate') {
    super(message);
  }
}

/** A webhook whose X-Twilio-Signature does not verify. */
export class ForbiddenError extends TwilioError {
  readonly status = 403;
  readonly code = 20403;
}

export class PayloadTooLargeError extends TwilioError {
  readonly status = 413;
  readonly code = 20413;
  constructor(limitBytes: number) {
    super(`Request body exceeds ${limitBytes} bytes`);
  }
}

export class UnsupportedMediaTypeError extends TwilioError {
  readonly status = 415;
  readonly code = 20415;
  constructor(contentType: string) {
    super(`Unsupported Content-Type ${contentType}: send application/x-www-form-urlencoded or application/json`);
  }
}

/** The store is throttling: the client should come back after `Retry-After` seconds. */
export class TooManyRequestsError extends TwilioError {
  readonly status = 429;
  readonly code = 20429;
  constructor(retryAfterSeconds: number) {
    super('Too Many Requests');
    this.headers['Retry-After'] = String(retryAfterSeconds);
  }
}

/** The store could not be reached or did not answer in time. */
export class ServiceUnavailableError extends TwilioError {
  readonly status = 503;
  readonly code = 20503;
  constructor(retryAfterSeconds: number) {
    super('Service Unavailable');
    this.headers['Retry-After'] = String(retryAfterSeconds);
  }
}
