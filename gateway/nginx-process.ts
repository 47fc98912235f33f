import { spawn } from 'node:child_process';
import fs from 'node:fs';

/** Pids of the processes whose parent is `pid` (nginx's workers), from /proc. */
export function childPids(pid: number): number[] {
  const found: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // comm (field 2) may hold spaces and parentheses: ppid is the second field after its closing ')'
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) found.push(Number(entry));
    } catch {
      // the process exited while we looked
    }
  }
  return found;
}

/**
 * True once an old worker no longer accepts connections: it exited, or it was told to quit and
 * now only finishes its open connections (its title then says so).
 */
export function stoppedAccepting(pid: number): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('shutting down');
  } catch {
    return true;
  }
}

/**
 * Runs `nginx -t` on a config file. Its stdout is /dev/null rather than a socket pair (what
 * execFile gives), because testing opens the access log, `/dev/stdout`, and a socket cannot be opened.
 */
export function testNginxConfig(
  bin: string,
  configFile: string,
  prefix: string,
  timeoutMs = 30_000,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, ['-t', '-q', '-c', configFile, '-p', prefix, '-e', 'stderr'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else
        reject(Object.assign(new Error(`nginx -t ended with ${signal ?? `exit code ${code}`}`), { stderr }));
    });
  });
}
