import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['**/node_modules/**', '.accord-data/**', '.tmp/**', 'coverage/**'] },
  { ignores: ['packages/web/dist/**', 'e2e/screenshots/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    files: ['**/*.test.ts', '**/test/**/*.ts', 'bench/**/*.ts', 'e2e/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  // Import boundaries: contracts stand alone; domain modules never reach into the CLI.
  {
    files: ['packages/contracts/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: ['@accord/server', '**/server/**', 'fastify', 'kysely', 'pg'] },
      ],
    },
  },
  {
    files: ['packages/server/src/modules/**/*.ts', 'packages/server/src/platform/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['**/cli/**'] }] },
  },
  // The web application runs in the browser.
  {
    files: ['packages/web/src/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
  },
);
