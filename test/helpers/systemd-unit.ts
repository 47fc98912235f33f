/**
 * Reads a unit file the way systemd does for the settings roro writes: double-quoted words with
 * C escapes, `%%` for `%`, and in command lines `$$` for `$`.
 */
function words(value: string, inCommand: boolean): string[] {
  const found: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (let m = re.exec(value); m; m = re.exec(value)) {
    let word = m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]!;
    word = word.replace(/%%/g, '%');
    if (inCommand) word = word.replace(/\$\$/g, '$');
    found.push(word);
  }
  return found;
}

export interface ParsedUnit {
  environment: Record<string, string>;
  execStart: string[];
  execStop: string[];
  pidFile: string;
  settings: Map<string, string>;
}

export function parseUnit(text: string): ParsedUnit {
  const unit: ParsedUnit = { environment: {}, execStart: [], execStop: [], pidFile: '', settings: new Map() };
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (!m) continue;
    const [, key, value] = m as unknown as [string, string, string];
    unit.settings.set(key, value);
    if (key === 'Environment') {
      for (const assignment of words(value, false)) {
        const eq = assignment.indexOf('=');
        unit.environment[assignment.slice(0, eq)] = assignment.slice(eq + 1);
      }
    }
    if (key === 'ExecStart') unit.execStart = words(value, true);
    if (key === 'ExecStop') unit.execStop = words(value, true);
    if (key === 'PIDFile') unit.pidFile = words(value, false)[0] ?? '';
  }
  return unit;
}
