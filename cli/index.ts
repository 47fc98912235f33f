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

cli
  .command('deploy', 'Package this directory, build the image, roll out services and sync tasks')
  .option('--project <name>', 'Project (default: RORO_PROJECT, or project: in ./roro.yml)')
  .option('--detach', 'Return after the upload and print the deploy id')
  .option('--json', 'JSON output: the final deploy')
  .action(run(deployCommand));
cli
  .command('releases', 'List the releases of the project, newest first')
  .option('--project <name>', 'Project (default: RORO_PROJECT, or project: in ./roro.yml)')
  .option('--json', 'JSON output')
  .action(run(releasesCommand));
cli
  .command('rollback [version]', 'Roll back to a release (default: the one before the current)')
  .option('--project <name>', 'Project (default: RORO_PROJECT, or project: in ./roro.yml)')
  .option('--detach', 'Return once started and print the deploy id')
  .option('--json', 'JSON output: the final deploy')
  .action(run(rollbackCommand));
cli
  .command('ps', 'Show the services and jobs of the project')
  .option('-a, --all', 'Include finished jobs')
  .option('--project <name>', 'Project (default: RORO_PROJECT, or project: in ./roro.yml)')
  .option('--json', 'JSON output')
  .action(run(psCommand));
for (const [verb, action, what] of [
  ['start', startCommand, 'Start a stopped service'],
  ['stop', stopCommand, 'Stop a service'],
  ['restart', restartCommand, 'Restart a service with its current release'],
] as const) {
  cli
    .command(`${verb} <service>`, what)
    .option('--project <name>', 'Project (default: RORO_PROJECT, or project: in ./roro.yml)')
    .option('--detach', 'Return once started and print the deploy id')
    .option('--json', 'JSON output: the final deploy')
    .action(run(action));
}

cli
  .command(
    'server <action> [arg]',
    'Manage the embedded platform: up | down | status | logs [COMPONENT] | backup FILE | restore FILE | enable | disable (start at boot)',
  )
  .option('--json', 'JSON output (status, backup, restore)')
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

const PROJECT_FLAG = [
  '--project <name>',
  'Project (default: RORO_PROJECT, or project: in ./roro.yml)',
] as const;
cli
  .command('quotas', "The project's quotas and what it uses of them")
  .option(...PROJECT_FLAG)
  .option('--json', 'JSON output')
  .action(run(quotasCommand));
cli
  .command(
    'quotas:set [...pairs]',
    'Set quotas (admin): running_jobs, services, replicas, volume_bytes = N or default',
  )
  .option(...PROJECT_FLAG)
  .option('--json', 'JSON output')
  .action(run(quotasSetCommand));
cli
  .command('volumes', 'List the volumes of the project')
  .option(...PROJECT_FLAG)
  .option('--json', 'JSON output')
  .action(run(volumesCommand));
cli
  .command('volumes:add <name>', 'Add a volume, mounted at /volumes/NAME')
  .option(...PROJECT_FLAG)
  .option('--json', 'JSON output')
  .action(run(volumesAddCommand));
cli
  .command(
    'volumes:remove <name>',
    'Remove a volume and its files (refused while a container of the project runs)',
  )
  .option(...PROJECT_FLAG)
  .option('-y, --yes', 'Do not ask for confirmation')
  .action(run(volumesRemoveCommand));
cli
  .command('volumes:ls <spec>', 'List VOLUME[:DIR]: mode, size, modified time, name')
  .option(...PROJECT_FLAG)
  .option('--json', 'JSON output')
  .action(run(volumesLsCommand));
cli
  .command('cp <src> <dest>', 'Copy files to or from a volume; one side is VOLUME:PATH (e.g. data:models/)')
  .option('-r, --recursive', 'Copy a directory')
  .option('--force', 'Replace an existing directory on the volume (-r uploads)')
  .option(...PROJECT_FLAG)
  .action(run(cpCommand));
cli
  .command('config', 'List config vars (values hidden unless --show)')
  .option(...PROJECT_FLAG)
  .option('--show', 'Show the values')
  .option('--json', 'JSON output, with values')
  .action(run(configCommand));
cli
  .command('config:set [...pairs]', 'Set config vars NAME=VALUE and roll the running services onto them')
  .option(...PROJECT_FLAG)
  .option('--no-restart', 'Do not restart the services')
  .option('--detach', 'Do not follow the restart')
  .option('--json', 'JSON output')
  .action(run(configSetCommand));
cli
  .command('config:unset [...names]', 'Unset config vars and roll the running services')
  .option(...PROJECT_FLAG)
  .option('--no-restart', 'Do not restart the services')
  .option('--detach', 'Do not follow the restart')
  .option('--json', 'JSON output')
  .action(run(configUnsetCommand));

cli
  .command('run [...cmd]', 'Start a job with the last deployed code; options after CMD belong to CMD')
  .option('-s, --size <size>', 'Compute size, e.g. S1 (default), S2 (before CMD)')
  .option('--project <name>', 'Project (default: RORO_PROJECT, or project: in ./roro.yml)')
  .option('--json', 'JSON output: {"jobid": ...}')
  .allowUnknownOptions()
  .action(run(runCommand));
cli
  .command('run:notebook', 'Start Jupyter with the last deployed code; prints its URL with the token')
  .option('-s, --size <size>', 'Compute size, e.g. S1 (default), S2')
  .option('--lab', 'JupyterLab instead of the classic notebook')
  .option('--project <name>', 'Project (default: RORO_PROJECT, or project: in ./roro.yml)')
  .option('--json', 'JSON output: {"notebookid", "url", "hostUrl"}')
  .action(run(runNotebookCommand));
cli
  .command('logs <target>', 'Output of a job (kept after it ends) or of a service')
  .option('-f, --follow', 'Follow until the job ends; exit with its status')
  .option('-t, --timestamps', 'Show timestamps')
  .option('--project <name>', 'Project (default: RORO_PROJECT, or project: in ./roro.yml)')
  .action(run(logsCommand));
cli
  .command('tasks', 'List the scheduled tasks of the project')
  .option('--project <name>', 'Project')
  .option('--json', 'JSON output')
  .action(run(tasksCommand));
for (const [verb, action, what] of [
  ['pause', tasksPauseCommand, 'Pause a task: no scheduled runs until resumed'],
  ['resume', tasksResumeCommand, 'Resume a paused task'],
  ['run', tasksRunCommand, 'Run a task now'],
] as const) {
  cli
    .command(`tasks:${verb} <name>`, what)
    .option('--project <name>', 'Project')
    .option('--json', 'JSON output')
    .action(run(action));
}

cli
  .command('models', 'List the model repositories of the project')
  .option('--project <name>', 'Project (default: RORO_PROJECT, or project: in ./roro.yml)')
  .option('--json', 'JSON output')
  .action(run(modelsCommand));
cli
  .command('models:log [name]', 'Versions of a model repository, newest first')
  .option('-a, --all', 'All versions, not only the 20 newest')
  .option('--project <name>', 'Project (default: RORO_PROJECT, or project: in ./roro.yml)')
  .option('--json', 'JSON output')
  .action(run(modelsLogCommand));
cli
  .command('models:show <model>', 'All metadata of a model version: NAME, NAME:VERSION or NAME:TAG')
  .option('--project <name>', 'Project (default: RORO_PROJECT, or project: in ./roro.yml)')
  .option('--json', 'JSON output')
  .action(run(modelsShowCommand));
cli
  .command('models:tag <model> <tag>', 'Tag a model version (NAME:VERSION); an existing tag moves')
  .option('--project <name>', 'Project (default: RORO_PROJECT, or project: in ./roro.yml)')
  .option('--json', 'JSON output')
  .action(run(modelsTagCommand));
cli
  .command('models:download <model> <file>', 'Save a model version (NAME[:VERSION|:TAG]) to FILE')
  .option('--project <name>', 'Project (default: RORO_PROJECT, or project: in ./roro.yml)')
  .action(run(modelsDownloadCommand));

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
