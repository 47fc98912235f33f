/**
 * What the cluster benchmark started (an engine, a platform, projects), undone in reverse order when
 * it ends, when it fails and on Ctrl-C: a second platform or engine left behind would hold ports,
 * a network namespace and a swarm until someone found them.
 */
export class Cleanup {
  private readonly steps: { what: string; undo: () => Promise<unknown> }[] = [];
  private running: Promise<void> | undefined;

  /** Registers an undo step; if the cleanup already began, it runs at once. */
  add(what: string, undo: () => Promise<unknown>): void {
    this.steps.push({ what, undo });
    if (this.running) this.running = this.running.then(() => this.drain());
  }

  /** Runs every step, last added first; a failed step is reported and the others still run. */
  run(): Promise<void> {
    this.running ??= this.drain();
    return this.running;
  }

  /** Ctrl-C, SIGTERM and SIGHUP clean up first, then exit 130; a second signal while that runs waits for it. */
  onSignals(): void {
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
      process.on(signal, () => {
        if (this.running) return console.error(`${signal}: still cleaning up, one moment`);
        console.error(`-----> ${signal}: removing what the benchmark started`);
        void this.run().finally(() => process.exit(130));
      });
  }

  private async drain(): Promise<void> {
    for (let step = this.steps.pop(); step; step = this.steps.pop()) {
      try {
        await step.undo();
      } catch (err) {
        console.error(`warning: could not ${step.what}: ${(err as Error).message}`);
      }
    }
  }
}
