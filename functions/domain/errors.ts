/**
 * Typed errors raised by the domain and the stores. They say what went wrong in terms a client can
 * act on; the HTTP layer maps each class to a status and an `ErrorResponse` in one place.
 */
export abstract class TallyError extends Error {
  abstract readonly code: string;

  constructor(
    message: string,
    readonly details: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class ValidationError extends TallyError {
  readonly code = 'VALIDATION_FAILED';

  /** Each problem names the place (event index, field) and what was expected. */
  static fromProblems(message: string, problems: readonly string[], maxListed = 20): ValidationError {
    const listed = problems.slice(0, maxListed);
    const more = problems.length - listed.length;
    const details = more > 0 ? `${listed.join('; ')}; and ${more} more` : listed.join('; ');
    return new ValidationError(message, details);
  }
}

export class UnauthorizedError extends TallyError {
  readonly code = 'UNAUTHORIZED';
}

export class NotFoundError extends TallyError {
  readonly code = 'NOT_FOUND';
}

export class MethodNotAllowedError extends TallyError {
  readonly code = 'METHOD_NOT_ALLOWED';

  constructor(
    readonly allowedMethods: readonly string[],
    path: string,
  ) {
    super('Method not allowed', `${path} accepts ${allowedMethods.join(', ')}`);
  }
}

export class ConflictError extends TallyError {
  readonly code = 'CONFLICT';
}

export class PayloadTooLargeError extends TallyError {
  readonly code = 'PAYLOAD_TOO_LARGE';
}

/** A dependency (queue, table) refused the work; the client should retry later. */
export class ServiceUnavailableError extends TallyError {
  readonly code = 'SERVICE_UNAVAILABLE';
}

/** Raised at cold start when the function's environment is incomplete. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}
