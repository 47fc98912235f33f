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
