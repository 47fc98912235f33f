import pino from 'pino';

export type Logger = pino.Logger;

/** What a redacted field is replaced with. */
export const REDACTED = '[redacted]';

/**
 * Fields that may hold a secret, at the top of a line or one or two levels down. Nothing secret is
 * meant to reach a logger at all (request lines carry no headers, activity lines no env); this is
 * the second fence, for a field passed by mistake.
 */
const SECRET_FIELDS = [
  'authorization',
  'cookie',
  'password',
  'token',
  'taskToken',
  'secret',
  'credentials',
  'auth',
  'env',
  'value',
];

export const REDACT_PATHS = SECRET_FIELDS.flatMap((f) => [f, `*.${f}`, `*.*.${f}`]);

/**
 * A JSON-lines logger for one platform process (`api`, `worker`, `supervisor`, `healer`): one line
 * per call with time, level, the process name, the message and the fields given. It writes to the
 * process's stdout, which the supervisor copies into that component's size-rotated log; the
 * supervisor's own stdout is its rotated log already.
 */
export function createLogger(name: string, destination: NodeJS.WritableStream = process.stdout): Logger {
  return pino(
    {
      name,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT_PATHS, censor: REDACTED },
    },
    destination,
  );
}

/** For code that reports plain lines (`log: (line) => void`): each line becomes one log entry. */
export function lineLogger(
  logger: Logger,
  level: 'info' | 'warn' | 'error' = 'info',
): (line: string) => void {
  return (line) => logger[level](line);
}
