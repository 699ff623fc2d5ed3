// Lint rules for leakscan: typescript-eslint's type-aware recommended set on
// the TypeScript sources, tests and benchmarks; the plain recommended set on
// the JavaScript that runs as is (the Node agent, the report's client code,
// scripts). Formatting is Prettier's job (npm run format), not ESLint's.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  {
    ignores: ['dist/', 'native/build/', 'native/lib/', 'node_modules/', 'fixtures/dumps/', 'coverage/'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // node:test's test() and describe() return promises the runner awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] }] },
      ],
      // The code marks with `!` an element it knows is there (arr[i]!); with
      // noUncheckedIndexedAccess off the compiler does not need it, the reader does.
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      // `_` marks a parameter kept for its position.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: globals.node },
  },
  {
    files: ['**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Injected into targets as an expression whose options come in as this name.
    files: ['src/targets/node/agent.js'],
    languageOptions: { globals: { LEAKSCAN_AGENT_OPTIONS: 'readonly' } },
  },
  {
    // Tests hand async functions to code under test on purpose (leakCheck,
    // async generators feeding parsers), with or without an await inside.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/require-await': 'off' },
  },
  {
    // The HTML report's own script runs in the browser.
    files: ['src/report/client/**/*.js'],
    languageOptions: { globals: { ...globals.browser, d3: 'readonly', flamegraph: 'readonly' } },
  },
);
