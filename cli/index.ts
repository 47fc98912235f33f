import { quotasCommand, quotasSetCommand } from './commands/quotas.js';
import { cac } from 'cac';
import { ConfigError, RoroError } from '../core/errors.js';
import { info } from './output.js';
import { loginCommand, logoutCommand, whoamiCommand } from './commands/auth.js';
import { usersAddCommand, usersCommand, usersRemoveCommand } from './commands/users.js';
import { nodesActivateCommand, nodesCommand, nodesDrainCommand, nodesJoinCommand } from './commands/nodes.js';
import { createCommand, projectsCommand, projectsDeleteCommand } from './commands/projects.js';
import { deployCommand } from './commands/deploy.js';
import { releasesCommand, rollbackCommand } from './commands/releases.js';
import { psCommand, restartCommand, startCommand, stopCommand } from './commands/services.js';
import {
  volumesAddCommand,
  volumesCommand,
  volumesLsCommand,
  volumesRemoveCommand,
} from './commands/volumes.js';
import { cpCommand } from './commands/cp.js';
import { configCommand, configSetCommand, configUnsetCommand } from './commands/config.js';
import { logsCommand, runCommand } from './commands/jobs.js';
import { runNotebookCommand } from './commands/notebooks.js';
import { tasksCommand, tasksPauseCommand, tasksResumeCommand, tasksRunCommand } from './commands/tasks.js';
import {
  modelsCommand,
  modelsDownloadCommand,
  modelsLogCommand,
  modelsShowCommand,
  modelsTagCommand,
} from './commands/models.js';

const cli = cac('roro');
const debug = process.argv.includes('--debug');

type Handler = (...args: never[]) => Promise<unknown> | unknown;
const run =
  (fn: Handler) =>
  (...args: unknown[]) =>
    Promise.resolve((fn as (...a: unknown[]) => unknown)(...args));

cli.option('--url <url>', 'API server URL (default: RORO_URL, the saved server, or the local platform)');
cli.option('--debug', 'Show stack traces on errors');

cli
  .command('login', 'Sign in and store an API token for this server')
  .option('--email <email>', 'Email address (prompted if absent)')
  .option('--password-stdin', 'Read the password from standard input')
  .action(run(loginCommand));
cli.command('logout', 'Revoke and forget the stored token').action(run(logoutCommand));
cli
  .command('whoami', 'Show who you are signed in as')
  .option('--json', 'JSON output')
  .action(run(whoamiCommand));

cli.command('users', 'List users (admin)').option('--json', 'JSON output').action(run(usersCommand));
cli
  .command('users:add <email>', 'Add a user (admin); a password is generated unless --password-stdin')
  .option('--admin', 'Make the user an admin')
  .option('--password-stdin', 'Read the password from standard input')
  .option('--json', 'JSON output')
  .action(run(usersAddCommand));
cli
  .command(
    'users:remove <email>',
    'Remove a user (admin); refused while they own projects unless --projects says what to do',
  )
  .option('--projects <what>', '"delete" their projects, or "transfer=EMAIL" to give them to another user')
  .option('--json', 'JSON output')
  .action(run(usersRemoveCommand));

cli.command('projects', 'List your projects').option('--json', 'JSON output').action(run(projectsCommand));
cli
  .command('create <name>', 'Create a project (with volumes data and notebooks)')
  .option('--json', 'JSON output')
  .action(run(createCommand));
cli
  .command('projects:delete <name>', 'Delete a project and everything in it')
  .option('-y, --yes', 'Do not ask for confirmation')
  .action(run(projectsDeleteCommand));

/** Every command that acts on one project takes the same `--project`, listed first in its help. */
const projectCommand = (spec: string, what: string) =>
  cli
    .command(spec, what)
    .option('--project <name>', 'Project (default: RORO_PROJECT, or project: in ./roro.yml)');
const JSON_OUTPUT = ['--json', 'JSON output'] as const;
const DETACH = ['--detach', 'Return once started and print the deploy id'] as const;
const FINAL_DEPLOY = ['--json', 'JSON output: the final deploy'] as const;

projectCommand('deploy', 'Package this directory, build the image, roll out services and sync tasks')
  .option('--detach', 'Return after the upload and print the deploy id')
  .option(...FINAL_DEPLOY)
  .action(run(deployCommand));
projectCommand('releases', 'List the releases of the project, newest first')
  .option(...JSON_OUTPUT)
  .action(run(releasesCommand));
projectCommand('rollback [version]', 'Roll back to a release (default: the one before the current)')
  .option(...DETACH)
  .option(...FINAL_DEPLOY)
  .action(run(rollbackCommand));
projectCommand('ps', 'Show the services and jobs of the project')
  .option('-a, --all', 'Include finished jobs')
  .option(...JSON_OUTPUT)
  .action(run(psCommand));
for (const [verb, action, what] of [
  ['start', startCommand, 'Start a stopped service'],
  ['stop', stopCommand, 'Stop a service'],
  ['restart', restartCommand, 'Restart a service with its current release'],
] as const) {
  projectCommand(`${verb} <service>`, what)
    .option(...DETACH)
    .option(...FINAL_DEPLOY)
    .action(run(action));
}

cli
  .command(
    'server <action> [arg]',
    "Manage the embedded platform: up | down | status | logs [COMPONENT] | backup FILE | restore FILE | enable | disable (start at boot) | trust | untrust (roro's CA in the system store and browsers)",
  )
  .option('--json', 'JSON output (status, backup, restore, trust, untrust)')
  .option('-f, --follow', 'Follow the log, across rotations (logs)')
  .option('-n, --lines <n>', 'Lines of log to show, across rotated files (logs)', { default: 100 })
  .option('--force', 'Replace an existing FILE (backup) or the state in RORO_HOME (restore)')
  .option('--no-start', 'Leave the platform stopped after a restore')
  .option(
    '--cluster',
    'Cluster mode (up): turn Docker Swarm mode on, or use the swarm the engine manages; remembered',
  )
  // Loaded only for `roro server`: the platform's code (Temporal, PostgreSQL, Docker clients) costs
  // every other command most of its start-up time, which 100 `roro run`s at once pay 100 times.
  .action(
    run(async (...args: Parameters<typeof import('./commands/server.js').serverCommand>) =>
      (await import('./commands/server.js')).serverCommand(...args),
    ),
  );

const nodeCommands = [
  ['nodes', "The cluster's nodes (admin, cluster mode)", nodesCommand],
  ['nodes:join', 'Print what a new host runs to join the cluster as a worker (admin)', nodesJoinCommand],
  ['nodes:drain <node>', 'Move the work off a node and send it no more (admin)', nodesDrainCommand],
  ['nodes:activate <node>', 'Let a drained node take work again (admin)', nodesActivateCommand],
] as const;
for (const [name, what, action] of nodeCommands) {
  const command = cli.command(name, what).option('--json', 'JSON output');
  if (name.startsWith('nodes:drain')) command.option('--force', 'Drain even the last active node');
  command.action(run(action));
}

projectCommand('quotas', "The project's quotas and what it uses of them")
  .option(...JSON_OUTPUT)
  .action(run(quotasCommand));
projectCommand(
  'quotas:set [...pairs]',
  'Set quotas (admin): running_jobs, services, replicas, volume_bytes = N or default',
)
  .option(...JSON_OUTPUT)
  .action(run(quotasSetCommand));
projectCommand('volumes', 'List the volumes of the project')
  .option(...JSON_OUTPUT)
  .action(run(volumesCommand));
projectCommand('volumes:add <name>', 'Add a volume, mounted at /volumes/NAME')
  .option(...JSON_OUTPUT)
  .action(run(volumesAddCommand));
projectCommand(
  'volumes:remove <name>',
  'Remove a volume and its files (refused while a container of the project runs)',
)
  .option('-y, --yes', 'Do not ask for confirmation')
  .action(run(volumesRemoveCommand));
projectCommand('volumes:ls <spec>', 'List VOLUME[:DIR]: mode, size, modified time, name')
  .option(...JSON_OUTPUT)
  .action(run(volumesLsCommand));
projectCommand(
  'cp <src> <dest>',
  'Copy files to or from a volume; one side is VOLUME:PATH (e.g. data:models/)',
)
  .option('-r, --recursive', 'Copy a directory')
  .option('--force', 'Replace an existing directory on the volume (-r uploads)')
  .action(run(cpCommand));
projectCommand('config', 'List config vars (values hidden unless --show)')
  .option('--show', 'Show the values')
  .option('--json', 'JSON output, with values')
  .action(run(configCommand));
for (const [spec, what, action] of [
  [
    'config:set [...pairs]',
    'Set config vars NAME=VALUE and roll the running services onto them',
    configSetCommand,
  ],
  ['config:unset [...names]', 'Unset config vars and roll the running services', configUnsetCommand],
] as const) {
  projectCommand(spec, what)
    .option('--no-restart', 'Do not restart the services')
    .option('--detach', 'Do not follow the restart')
    .option(...JSON_OUTPUT)
    .action(run(action));
}

projectCommand('run [...cmd]', 'Start a job with the last deployed code; options after CMD belong to CMD')
  .option('-s, --size <size>', 'Compute size, e.g. S1 (default), S2 (before CMD)')
  .option('--json', 'JSON output: {"jobid": ...}')
  .allowUnknownOptions()
  .action(run(runCommand));
projectCommand('run:notebook', 'Start Jupyter with the last deployed code; prints its URL with the token')
  .option('-s, --size <size>', 'Compute size, e.g. S1 (default), S2')
  .option('--lab', 'JupyterLab instead of the classic notebook')
  .option('--json', 'JSON output: {"notebookid", "url", "hostUrl"}')
  .action(run(runNotebookCommand));
projectCommand('logs <target>', 'Output of a job (kept after it ends) or of a service')
  .option('-f, --follow', 'Follow until the job ends; exit with its status')
  .option('-t, --timestamps', 'Show timestamps')
  .action(run(logsCommand));
projectCommand('tasks', 'List the scheduled tasks of the project')
  .option(...JSON_OUTPUT)
  .action(run(tasksCommand));
for (const [verb, action, what] of [
  ['pause', tasksPauseCommand, 'Pause a task: no scheduled runs until resumed'],
  ['resume', tasksResumeCommand, 'Resume a paused task'],
  ['run', tasksRunCommand, 'Run a task now'],
] as const) {
  projectCommand(`tasks:${verb} <name>`, what)
    .option(...JSON_OUTPUT)
    .action(run(action));
}

projectCommand('models', 'List the model repositories of the project')
  .option(...JSON_OUTPUT)
  .action(run(modelsCommand));
projectCommand('models:log [name]', 'Versions of a model repository, newest first')
  .option('-a, --all', 'All versions, not only the 20 newest')
  .option(...JSON_OUTPUT)
  .action(run(modelsLogCommand));
projectCommand('models:show <model>', 'All metadata of a model version: NAME, NAME:VERSION or NAME:TAG')
  .option(...JSON_OUTPUT)
  .action(run(modelsShowCommand));
projectCommand('models:tag <model> <tag>', 'Tag a model version (NAME:VERSION); an existing tag moves')
  .option(...JSON_OUTPUT)
  .action(run(modelsTagCommand));
projectCommand('models:download <model> <file>', 'Save a model version (NAME[:VERSION|:TAG]) to FILE').action(
  run(modelsDownloadCommand),
);

cli.help();
cli.version('0.1.0');

function fail(err: unknown): never {
  if (err instanceof RoroError) {
    info(`Error: ${err.message}`);
    if (err.hint) info(err.hint);
    if (debug && err.stack) info(err.stack);
    process.exit(err instanceof ConfigError || err.status === 400 ? 2 : 1);
  }
  const e = err as Error & { name?: string };
  if (e?.name === 'CACError') {
    info(`Error: ${e.message}`);
    info('Run `roro --help` for usage.');
    process.exit(2);
  }
  info(`Error: ${e?.message ?? String(err)}`);
  if (debug) info(e?.stack ?? '');
  process.exit(1);
}

// `roro ps | head`: a reader that stops early is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

async function main(): Promise<void> {
  try {
    cli.parse(process.argv, { run: false });
    if (!cli.matchedCommand) {
      if (cli.options.help || cli.options.version) return;
      if (cli.args.length > 0) {
        throw new ConfigError(`Unknown command ${cli.args[0]}.`, 'Run `roro --help` to list commands.');
      }
      cli.outputHelp();
      return;
    }
    await cli.runMatchedCommand();
  } catch (err) {
    fail(err);
  }
}

void main();
