// Lint rules follow Temporal's samples: no floating promises anywhere (a forgotten await on an
// activity or workflow API is a silent bug), and no Node built-ins in workflow code (the workflow
// sandbox rejects them at bundle time; lint says so earlier and names the line).
import { builtinModules } from 'node:module';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

const forbiddenInWorkflows = builtinModules
  .filter((m) => !['assert', 'url', 'util'].includes(m))
  .flatMap((m) => [m, `node:${m}`]);

export default tseslint.config(
  { ignores: ['node_modules/**', '.data/**', '.tools/**', 'dist/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        // node:test's test()/describe() return promises the runner itself awaits.
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite', 'before', 'after'] },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  {
    // Workflows orchestrate: no I/O, no Node built-ins, and from activities only their types.
    files: ['workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: forbiddenInWorkflows,
          patterns: [
            {
              group: ['@temporalio/activity', '@temporalio/client', '@temporalio/worker', '@temporalio/testing'],
              message: 'Not allowed in workflow code.',
            },
            {
              group: [
                'pg',
                'undici',
                '**/src/db',
                '**/src/db/**',
                '**/src/launchdarkly',
                '**/src/launchdarkly/**',
                '**/src/streams',
                '**/src/streams/**',
              ],
              message: 'Workflows hold no I/O.',
            },
            { group: ['**/src/cli/**', '**/src/dev/**', '**/src/temporal/**'], message: 'Workflows hold no I/O.' },
            { group: ['**/activities', '**/activities/**'], allowTypeImports: true, message: 'Types only.' },
          ],
        },
      ],
    },
  },
  {
    // Activities glue the client to the database; they never reach into workflow code.
    files: ['activities/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/workflows', '**/workflows/**'], message: 'Activities never import workflows.' }] },
      ],
    },
  },
  {
    // The LaunchDarkly client knows nothing of Temporal or Postgres.
    files: ['src/launchdarkly/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@temporalio/*', 'pg', '**/db', '**/db/**'],
              message: 'The LaunchDarkly room has no Temporal or Postgres.',
            },
            {
              group: ['**/streams', '**/streams/**', '**/activities/**', '**/workflows/**'],
              message: 'The client reads what it is given: the stream modules declare endpoints, not the client.',
            },
            { group: ['**/cli', '**/cli/**', '**/dev', '**/dev/**'], message: 'Only src/cli parses argv and prints.' },
          ],
        },
      ],
    },
  },
  {
    // The database layer knows nothing of HTTP or Temporal.
    files: ['src/db/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['undici', '@temporalio/*', '**/launchdarkly', '**/launchdarkly/**'],
              message: 'The database room has no HTTP or Temporal.',
            },
            {
              group: ['**/streams', '**/streams/**', '**/activities/**', '**/workflows/**'],
              message: 'The database layer takes table specs as arguments; it imports no stream.',
            },
            { group: ['**/cli', '**/cli/**', '**/dev', '**/dev/**'], message: 'Only src/cli parses argv and prints.' },
          ],
        },
      ],
    },
  },
  {
    // Stream modules are declarations: endpoints, schemas, tables and mappings. They do no I/O of their
    // own (the client and the database layer do, given these), and use the database room for its types.
    files: ['src/streams/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@temporalio/*', 'pg', 'undici'], message: 'Stream modules declare; they do no I/O.' },
            { group: ['**/db', '**/db/**'], allowTypeImports: true, message: 'Types only from the database room.' },
            {
              group: ['**/cli', '**/cli/**', '**/dev', '**/dev/**', '**/activities/**', '**/workflows/**'],
              message: 'Stream modules know nothing of the rooms that run them.',
            },
          ],
        },
      ],
    },
  },
  {
    // Every room but the CLI (and the dev tooling it starts) stays out of argv and printing.
    files: ['activities/**/*.ts', 'src/temporal/**/*.ts', 'src/crypto/**/*.ts', 'src/simulator/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[object.name='process'][property.name='argv']",
          message: 'Only src/cli parses argv.',
        },
      ],
    },
  },
  {
    files: ['bin/**/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', __dirname: 'readonly', process: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  prettier,
);
