/**
 * The fault matrix: which operation, which fault, injected at which activity boundary. Pure data
 * and selection, no I/O, so the unit tests pin what a run covers.
 */

export const OPERATIONS = ['deploy', 'rollback', 'job', 'scheduled', 'notebook'] as const;
export type Operation = (typeof OPERATIONS)[number];

export const FAULTS = ['worker', 'api', 'temporal', 'postgres', 'dockerd', 'gateway'] as const;
export type Fault = (typeof FAULTS)[number];

/**
 * The three boundaries of a roll-out, and what they mean for operations that are not roll-outs:
 *   build     while the image is built (a rollback, a job or a notebook builds its release's image
 *             when Docker lost it: their build cells remove it first)
 *   started   new containers run, nothing routed to them yet (deploys: before the route switch;
 *             jobs: the job runs; notebooks: Jupyter starts, before its route)
 *   switched  routes switched, old containers not yet retired (jobs: the job ended, its container
 *             is being removed; notebooks: `roro stop` is removing the route and the container)
 */
export const BOUNDARIES = ['build', 'started', 'switched'] as const;
export type Boundary = (typeof BOUNDARIES)[number];

/** How each fault is injected; the gateway and dockerd are the two whose own outage users see. */
export const FAULT_ACTIONS: Record<Fault, string> = {
  worker: 'kill -9 of the Temporal worker',
  api: 'kill -9 of the API server',
  temporal: 'kill -9 of the Temporal server',
  postgres: 'kill -9 of PostgreSQL (the postmaster)',
  dockerd: 'kill -9 of dockerd',
  gateway: 'restart of the gateway (SIGTERM, the supervisor starts it again)',
};

/** Faults whose own outage interrupts requests; their cells report the gap instead of failing on it. */
export const SERVING_FAULTS: ReadonlySet<Fault> = new Set<Fault>(['gateway', 'dockerd']);

/**
 * The workflow activities whose being pending marks a boundary (the first one seen fires the
 * fault). An operation without an entry for a boundary has no such moment: its cell is not run.
 */
export const BOUNDARY_ACTIVITIES: Record<Operation, Partial<Record<Boundary, readonly string[]>>> = {
  deploy: {
    build: ['buildImage'],
    started: ['waitReady'],
    switched: ['retireInstances'],
  },
  rollback: {
    build: ['buildImage'],
    started: ['waitReady'],
    switched: ['retireInstances'],
  },
  job: {
    build: ['ensureReleaseImage'],
    started: ['waitJob'],
    switched: ['finishJob', 'removeJobContainer'],
  },
  scheduled: {
    build: ['ensureReleaseImage'],
    started: ['waitJob'],
    switched: ['finishJob', 'removeJobContainer'],
  },
  notebook: {
    build: ['ensureReleaseImage'],
    started: ['waitNotebookReady'],
    switched: ['removeRoutes', 'stopNotebookContainer'],
  },
};

export interface Cell {
  operation: Operation;
  fault: Fault;
  boundary: Boundary;
}

export const cellName = (c: Cell) => `${c.operation}/${c.fault}/${c.boundary}`;

export interface Selection {
  operations: Operation[];
  faults: Fault[];
  boundaries: Boundary[];
}

/** Every cell of the selection that has its boundary, in a stable order (operation, fault, boundary). */
export function buildMatrix(sel: Selection): Cell[] {
  const cells: Cell[] = [];
  for (const operation of OPERATIONS.filter((o) => sel.operations.includes(o)))
    for (const fault of FAULTS.filter((f) => sel.faults.includes(f)))
      for (const boundary of BOUNDARIES.filter((b) => sel.boundaries.includes(b)))
        if (BOUNDARY_ACTIVITIES[operation][boundary]) cells.push({ operation, fault, boundary });
  return cells;
}

export interface MatrixArgs extends Selection {
  /** Cells named exactly (operation/fault/boundary), instead of the product of the lists. */
  cells?: Cell[];
  /** Seconds an operation may take after its fault before the cell counts it as stuck. */
  timeoutSeconds: number;
  json: boolean;
}

export const USAGE = `Usage: node dist/bench/faults/run.js [options]
  --only LIST      operations, faults or boundaries to run (comma-separated names from the lists below)
  --skip LIST      operations, faults or boundaries to leave out (e.g. --skip dockerd)
  --cell O/F/B     run exactly this cell (repeatable), e.g. --cell deploy/worker/switched
  --timeout S      seconds an operation may take to end after its fault (default 240)
  --json           print the results as JSON instead of a table
operations: ${OPERATIONS.join(', ')}
faults:     ${FAULTS.join(', ')}
boundaries: ${BOUNDARIES.join(', ')}`;

/** Thrown for a command line the matrix cannot run; its message names the bad word and the fix. */
export class MatrixUsageError extends Error {
  override name = 'MatrixUsageError';
}

function isOneOf<T extends string>(list: readonly T[], word: string): word is T {
  return (list as readonly string[]).includes(word);
}

function parseCell(text: string): Cell {
  const [operation = '', fault = '', boundary = '', ...rest] = text.split('/');
  if (
    rest.length ||
    !isOneOf(OPERATIONS, operation) ||
    !isOneOf(FAULTS, fault) ||
    !isOneOf(BOUNDARIES, boundary)
  )
    throw new MatrixUsageError(
      `--cell ${text} is not operation/fault/boundary: write e.g. deploy/worker/switched (operations: ${OPERATIONS.join(', ')}; faults: ${FAULTS.join(', ')}; boundaries: ${BOUNDARIES.join(', ')}).`,
    );
  if (!BOUNDARY_ACTIVITIES[operation][boundary])
    throw new MatrixUsageError(`--cell ${text}: a ${operation} has no ${boundary} boundary; pick another.`);
  return { operation, fault, boundary };
}

/** Parses the command line; --only narrows each list it names, --skip removes from it. */
export function parseMatrixArgs(argv: string[]): MatrixArgs {
  const args: MatrixArgs = {
    operations: [...OPERATIONS],
    faults: [...FAULTS],
    boundaries: [...BOUNDARIES],
    timeoutSeconds: 240,
    json: false,
  };
  const only: string[] = [];
  const skip: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new MatrixUsageError(`${a} needs a value.\n${USAGE}`);
      return v;
    };
    if (a === '--only') only.push(...value().split(','));
    else if (a === '--skip') skip.push(...value().split(','));
    else if (a === '--cell') (args.cells ??= []).push(parseCell(value()));
    else if (a === '--json') args.json = true;
    else if (a === '--timeout') {
      const n = Number(value());
      if (!Number.isInteger(n) || n < 10 || n > 3600)
        throw new MatrixUsageError(`--timeout must be whole seconds from 10 to 3600.`);
      args.timeoutSeconds = n;
    } else throw new MatrixUsageError(`Unknown option ${a}.\n${USAGE}`);
  }
  for (const word of [...only, ...skip].map((w) => w.trim()).filter(Boolean)) {
    if (!isOneOf(OPERATIONS, word) && !isOneOf(FAULTS, word) && !isOneOf(BOUNDARIES, word))
      throw new MatrixUsageError(`${word} is not an operation, a fault or a boundary.\n${USAGE}`);
  }
  const narrow = <T extends string>(list: readonly T[], current: T[]): T[] => {
    const named = only.filter((w): w is T => isOneOf(list, w));
    return (named.length ? current.filter((x) => named.includes(x)) : current).filter(
      (x) => !skip.includes(x),
    );
  };
  args.operations = narrow(OPERATIONS, args.operations);
  args.faults = narrow(FAULTS, args.faults);
  args.boundaries = narrow(BOUNDARIES, args.boundaries);
  if (args.cells) args.cells = args.cells.filter((c) => !skip.some((w) => Object.values(c).includes(w)));
  return args;
}

/** The cells a parsed command line asks for. */
export function selectedCells(args: MatrixArgs): Cell[] {
  return args.cells ?? buildMatrix(args);
}
