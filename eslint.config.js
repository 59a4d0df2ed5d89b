// ESLint for the whole workspace (run by `npm run lint`, part of `npm test`): typescript-eslint's
// recommended rules, plus the type-aware rules that catch forgotten and misused Promises —
// the mistakes an actor runtime built on async handlers is most exposed to.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['**/vitest.config.ts', '**/dist/**', '**/node_modules/**', '**/.troupe-data/**', '**/.services/**', 'analytics/spark/.venv/**', 'docs/api/**', 'coverage/**', '**/*.d.ts'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      // The configs that typecheck each file: a package's tsconfig.test.json covers src and test.
      parserOptions: {
        project: [
          './packages/*/tsconfig.test.json',
          './examples/*/tsconfig.test.json',
          './examples/*/tsconfig.json',
          './test/tsconfig.json',
          './test/kafka/tsconfig.faults.json',
          './bench/tsconfig.json',
        ],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // A leading underscore marks a parameter or binding kept on purpose (an overridable hook's signature).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
    },
  },
  {
    // Smoke tests of the small examples are run by vitest but typechecked by no tsconfig:
    // the syntax rules apply, the type-aware ones cannot.
    files: ['examples/*/test/**/*.ts'],
    ignores: ['examples/custom-journal/**', 'examples/weather/**'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setImmediate: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        performance: 'readonly',
        URL: 'readonly',
        Buffer: 'readonly',
        queueMicrotask: 'readonly',
        structuredClone: 'readonly',
        TextEncoder: 'readonly',
        TextDecoder: 'readonly',
        fetch: 'readonly',
        AbortController: 'readonly',
      },
    },
  },
);
