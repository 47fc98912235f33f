import fs from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { ConfigError } from '../core/errors.js';
import { NAME_RULE, isValidName } from '../core/names.js';

export const RORO_YML = 'roro.yml';

const NO_PROJECT_HINT =
  'No project: run inside a project directory with roro.yml, or pass --project NAME / set RORO_PROJECT.';

/** The text of ./roro.yml in `cwd`, or undefined when there is none (only the current directory is read). */
export function readRoroYml(cwd = process.cwd()): { file: string; text: string } | undefined {
  const file = path.join(cwd, RORO_YML);
  try {
    return { file, text: fs.readFileSync(file, 'utf8') };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigError(`Cannot read ${file}: ${(err as Error).message}.`, 'Check the file permissions.');
  }
}

/**
 * The `project:` key of a roro.yml, read leniently: commands other than deploy must work even when
 * another part of the file is wrong, so only this one key is looked at.
 */
export function projectFromYml(text: string, file = RORO_YML): string | undefined {
  let doc: unknown;
  try {
    doc = yaml.load(text, { filename: file });
  } catch (err) {
    const reason = err instanceof yaml.YAMLException ? err.reason : (err as Error).message;
    throw new ConfigError(`${file} is not valid YAML (${reason}).`, `Fix ${file}, or pass --project NAME.`);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return undefined;
  const value = (doc as Record<string, unknown>).project;
  if (value === undefined || value === null || value === '') return undefined;
  return String(value);
}

function checked(name: string, source: string): string {
  if (!isValidName(name)) {
    throw new ConfigError(
      `Invalid project name ${JSON.stringify(name)} (from ${source}): a project name ${NAME_RULE}.`,
      'Correct the name, or pass --project NAME.',
    );
  }
  return name;
}

/**
 * The project a command acts on: `--project`, else RORO_PROJECT, else `project:` in ./roro.yml.
 * Throws ConfigError when none of the three names one.
 */
export function resolveProject(
  flag: unknown,
  env: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
): string {
  // cac turns a numeric-looking value into a number, and a bare `--project` into `true`.
  if (flag === true) throw new ConfigError('--project needs a project name.', 'Pass --project NAME.');
  if (flag !== undefined && flag !== null && flag !== '') return checked(String(flag), '--project');
  if (env.RORO_PROJECT) return checked(env.RORO_PROJECT, 'RORO_PROJECT');
  const yml = readRoroYml(cwd);
  const fromYml = yml && projectFromYml(yml.text, yml.file);
  if (fromYml) return checked(fromYml, yml.file);
  throw new ConfigError(
    NO_PROJECT_HINT,
    yml ? `${yml.file} has no "project:" key; add "project: NAME".` : undefined,
  );
}

/** Path segment for the project's API routes. */
export function projectPath(project: string): string {
  return `/v1/projects/${encodeURIComponent(project)}`;
}
