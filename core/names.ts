import { ValidationError } from './errors.js';

/**
 * Project, service, volume and task names share one rule. A name never contains `--`, because
 * `<project>--<service>` is how the gateway splits a host name.
 */
export const NAME_RULE =
  'must be 2 to 40 characters: lowercase letters, digits and single hyphens, starting with a letter and not ending with a hyphen';
/** The rule as a pattern without lookahead (for JSON Schema), with the length checked apart. */
export const NAME_PATTERN = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
export const NAME_LENGTH = { min: 2, max: 40 } as const;

export function isValidName(name: string): boolean {
  return name.length >= NAME_LENGTH.min && name.length <= NAME_LENGTH.max && NAME_PATTERN.test(name);
}

export function checkName(kind: string, name: unknown): string {
  if (typeof name !== 'string' || !isValidName(name)) {
    throw new ValidationError(`Invalid ${kind} name ${JSON.stringify(name)}: a ${kind} name ${NAME_RULE}.`, {
      hint: `Choose a name such as "credit-risk".`,
    });
  }
  return name;
}

export const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The project name the platform's own routes use (the canary); no user may create a project of that name. */
export const PLATFORM_PROJECT = 'roro';
