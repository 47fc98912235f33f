/**
 * What the nginx config depends on. Routes are not part of it: they live in the route table file and
 * in nginx's shared dict, so a route change never rewrites or reloads the config.
 */
export interface NginxConfigInput {
  domain: string;
  httpsPort: number;
  /** Plain HTTP port that redirects to HTTPS and answers `/.roro/generation`. */
  httpPort: number;
  tls: { cert: string; key: string };
  /** Private (0700): holds the pid file, the admin socket and the route table file. */
  runDir: string;
  /**
   * nginx's temporary directories (request bodies over 1 MB wait here until complete); default
   * `<runDir>/tmp`. nginx creates each as 0700 for its worker user, so when nginx starts as root and
   * its workers run as nobody, this directory and its parents must be traversable (o+x): not runDir.
   */
  spoolDir?: string;
  /** Concurrent requests one client address may have in progress; more are answered 429. */
  connectionsPerClient?: number;
  /** `host:port` of the platform API, served under `/api/` of the bare host. */
  apiUpstream?: string;
  /**
   * The web dashboard on the bare domain: `/` serves its page, `/_roro/assets/` its files from `dir`
   * (index.html and assets/, readable by nginx's workers), `/_roro/api/` the platform API at `api`
   * (`host:port`). `_` can start no project label, so these paths never hide a project's route.
   */
  dashboard?: { dir: string; api: string };
  /** Extra plain HTTP listener that serves the same routes, for benchmarks and debugging. */
  plainHttpPort?: number;
  /** nginx worker processes; 1 measured best on 2 shared cores (see bench/gateway). */
  workers?: number | 'auto';
  http2?: boolean;
  /** Changes whenever the config does, so the caller can see when a reload took effect. */
  generation?: string;
}
