/**
 * Errors shared by the CLI, the API and the activities. Each carries a machine-readable code,
 * an HTTP status for the API, and a hint that tells the user the next step.
 */
export class RoroError extends Error {
  readonly code: string;
  readonly status: number;
  readonly hint: string | undefined;
  readonly details: unknown;

  constructor(
    message: string,
    opts: { code?: string; status?: number; hint?: string; cause?: unknown; details?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'RoroError';
    this.code = opts.code ?? 'error';
    this.status = opts.status ?? 500;
    this.hint = opts.hint;
    this.details = opts.details;
  }
}

/** Thrown when input (a name, a roro.yml, a request body) breaks a rule; the message states the rule. */
export class ValidationError extends RoroError {
  constructor(message: string, opts: { hint?: string; details?: unknown; code?: string } = {}) {
    super(message, { status: 400, code: opts.code ?? 'invalid', ...opts });
    this.name = 'ValidationError';
  }
}

/** Thrown when a thing does not exist or the caller may not see it (the two look the same). */
export class NotFoundError extends RoroError {
  constructor(message: string, hint?: string) {
    super(message, { status: 404, code: 'not_found', hint });
    this.name = 'NotFoundError';
  }
}

/** Thrown when a request carries no valid credentials. */
export class AuthError extends RoroError {
  constructor(message: string, hint = 'Run `roro login` to sign in again.') {
    super(message, { status: 401, code: 'unauthorized', hint });
    this.name = 'AuthError';
  }
}

/** Thrown when the caller is signed in but lacks the role for the action. */
export class ForbiddenError extends RoroError {
  constructor(message: string, hint?: string) {
    super(message, { status: 403, code: 'forbidden', hint });
    this.name = 'ForbiddenError';
  }
}

/** Thrown when the request clashes with existing state (a taken name, a deploy already running). */
export class ConflictError extends RoroError {
  constructor(message: string, hint?: string, details?: unknown) {
    super(message, { status: 409, code: 'conflict', hint, details });
    this.name = 'ConflictError';
  }
}

/** Thrown for configuration and usage problems on the user's side; the CLI exits 2 for them. */
export class ConfigError extends RoroError {
  constructor(message: string, hint?: string, details?: unknown) {
    super(message, { status: 400, code: 'config', hint, details });
    this.name = 'ConfigError';
  }
}
