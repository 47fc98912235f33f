import tseslint from 'typescript-eslint';

/**
 * The layers, top down: a folder may import from the folders listed for it and from its own, never
 * from one above it (README, "Source layout"). Type-only imports are free: they vanish at run time.
 */
export const FOLDERS = [
  // The web dashboard: a leaf that talks to the API over HTTP only; nothing imports it.
  'web',
  'cli',
  'bench',
  'platform',
  'api',
  'workers',
  'workflows',
  'activities',
  'domain',
  'gateway',
  'containers',
  'db',
  'temporal',
  'core',
];
/** Every folder below this one: the supervisor starts and wires all of them. */
const below = (folder) => FOLDERS.slice(FOLDERS.indexOf(folder) + 1);
const MAY_IMPORT = {
  web: [],
  platform: below('platform'),
  api: ['domain', 'containers', 'db', 'temporal', 'core'],
  workers: ['workflows', 'activities', 'domain', 'gateway', 'containers', 'db', 'temporal', 'core'],
  workflows: ['temporal', 'core'],
  activities: ['domain', 'gateway', 'containers', 'db', 'temporal', 'core'],
  domain: ['containers', 'db', 'temporal', 'core'],
  gateway: ['core'],
  containers: ['core'],
  db: ['core'],
  temporal: ['core'],
  core: [],
};
const fromFolder = (folder) => ['../', '../../', '../../../'].map((up) => `${up}${folder}/**`);
const layerRules = Object.entries(MAY_IMPORT).map(([folder, allowed]) => ({
  files: [`${folder}/**/*.ts`, `${folder}/**/*.tsx`],
  rules: {
    '@typescript-eslint/no-restricted-imports': [
      'error',
      {
        patterns: [
          {
            group: FOLDERS.filter((f) => f !== folder && !allowed.includes(f)).flatMap(fromFolder),
            allowTypeImports: true,
            message: `${folder}/ may import only from ${allowed.length ? allowed.map((f) => `${f}/`).join(', ') : 'itself'}: move the shared rule down a layer (README, "Source layout").`,
          },
        ],
      },
    ],
  },
}));

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'runtimes/**', 'examples/**', '.venv/**', 'bench/**/*.js'] },
  ...tseslint.configs.recommended,
  ...layerRules,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // node:test's test() returns a promise the runner itself awaits.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] },
          ],
        },
      ],
    },
  },
  {
    // Workflows run in Temporal's deterministic sandbox: no I/O libraries there.
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*', 'fs', 'path', 'child_process', 'crypto', 'os', 'http', 'https', 'net'],
              message: 'Workflows must stay deterministic: no Node builtins.',
            },
            {
              group: ['dockerode', 'pg', 'express', 'pino', '@temporalio/client', '@temporalio/worker'],
              message: 'Workflows call activities for side effects.',
            },
          ],
        },
      ],
    },
  },
);
