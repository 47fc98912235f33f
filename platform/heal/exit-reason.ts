/** Why a service's process ended, in words for `roro ps` and deploy messages. */
export function exitReason(exitCode: number | undefined, oomKilled: boolean): string {
  if (oomKilled) return "killed: out of memory (the size's memory limit)";
  if (exitCode === undefined) return 'exited';
  if (exitCode === 137) return 'killed (SIGKILL, exit code 137)';
  if (exitCode === 143) return 'terminated (SIGTERM, exit code 143)';
  return `exited with code ${exitCode}`;
}
