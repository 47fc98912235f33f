import { makeTelemetryFilterString, Runtime, type LogLevel, type LogMetadata } from '@temporalio/worker';
import type { Logger } from '../core/logger.js';

const LEVELS = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;

/**
 * Sends everything Temporal logs in this process (the SDK, its Rust core, and the activities'
 * `log` from @temporalio/activity, which carries workflowId, activityId and activityType) to the
 * worker's JSON log. An `error` field becomes pino's `err`, so its stack is kept as a field.
 */
export function installTemporalLogger(logger: Logger): void {
  const write = (level: LogLevel, message: string, meta?: LogMetadata) => {
    const { error, ...fields } = meta ?? {};
    logger[LEVELS[level]](error instanceof Error ? { ...fields, err: error } : (meta ?? {}), message);
  };
  Runtime.install({
    logger: {
      log: write,
      trace: (message, meta) => write('TRACE', message, meta),
      debug: (message, meta) => write('DEBUG', message, meta),
      info: (message, meta) => write('INFO', message, meta),
      warn: (message, meta) => write('WARN', message, meta),
      error: (message, meta) => write('ERROR', message, meta),
    },
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} } },
  });
}
