import pg from 'pg';
import { isGrpcServiceError, ServiceError } from '@temporalio/client';
import { RoroError } from '../core/errors.js';

/** Seconds a client should wait before trying again: the supervisor restarts a dead component in about that time. */
export const RETRY_AFTER_SECONDS = 2;

/** Thrown (by the error mapper) when a platform component the request needs cannot be reached; the API answers 503. */
export class UnavailableError extends RoroError {
  readonly component: 'database' | 'temporal';

  /** `outcome`: what became of the request (default: it is not answered now). */
  constructor(component: 'database' | 'temporal', cause: unknown, outcome?: string) {
    const what = component === 'database' ? 'The database (PostgreSQL)' : 'Temporal';
    super(
      `${what} is unreachable${outcome ? `: ${outcome}` : ', so the API cannot answer this request now.'}`,
      {
        code: 'unavailable',
        status: 503,
        hint: `Try again in a few seconds; the platform restarts it. \`roro server status\` shows which component is down.`,
        cause,
        details: { component },
      },
    );
    this.name = 'UnavailableError';
    this.component = component;
  }
}

const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
]);

/** What node-postgres says when the connection itself failed (these errors carry no SQLSTATE). */
const PG_CONNECTION_MESSAGES = [
  'Connection terminated',
  'Client has encountered a connection error and is not queryable',
  'timeout exceeded when trying to connect',
];

/** SQLSTATEs of a server that is gone or not ready: connection exceptions (08), shutdowns and start-up (57P0x). */
function pgUnavailableState(code: string | undefined): boolean {
  return code !== undefined && (code.startsWith('08') || /^57P0[1-3]$/.test(code) || code === '53300');
}

/**
 * A PostgreSQL error that means the server cannot be reached: a refused or reset TCP connection to
 * the database's port, a dropped connection, or the server shutting down or starting up.
 */
function isDatabaseDown(err: unknown, databasePort: number | undefined): boolean {
  if (err instanceof pg.DatabaseError) return pgUnavailableState(err.code);
  if (!(err instanceof Error)) return false;
  const e = err as NodeJS.ErrnoException & { port?: number };
  if (e.syscall === 'connect' && SOCKET_CODES.has(e.code ?? ''))
    return databasePort === undefined || e.port === databasePort;
  if (PG_CONNECTION_MESSAGES.some((m) => err.message.startsWith(m))) return true;
  return err.cause !== undefined && isDatabaseDown(err.cause, databasePort);
}

/** gRPC UNAVAILABLE (14): the Temporal frontend refused or dropped the call (the client already retried it). */
const GRPC_UNAVAILABLE = 14;

function isTemporalDown(err: unknown): boolean {
  if (isGrpcServiceError(err)) return err.code === GRPC_UNAVAILABLE;
  if (err instanceof ServiceError) return isTemporalDown(err.cause);
  return false;
}

/** The 503 for an error that means PostgreSQL or Temporal is unreachable; undefined for any other error. */
export function unavailableOf(err: unknown, databasePort?: number): UnavailableError | undefined {
  if (err instanceof UnavailableError) return err;
  if (isTemporalDown(err)) return new UnavailableError('temporal', err);
  if (isDatabaseDown(err, databasePort)) return new UnavailableError('database', err);
  return undefined;
}
