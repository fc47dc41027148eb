// The few rules that keep the code's shape (issue 11); formatting is not linted.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const HOST_MODULES = ['node:child_process', 'child_process', 'node:http', 'http', 'node:net', 'net'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'workspace/**', 'docs/**', 'web/vendor/**', '**/*.js', '**/*.cjs', '**/*.mjs', '!web/*.js'] },
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // A promise nobody awaits or catches is an error nobody sees.
      '@typescript-eslint/no-floating-promises': 'error',
    },
  },
  {
    // One concern per file: past 300 lines a source file is two.
    files: ['cmd/**/*.{ts,tsx}', 'kernel/**/*.ts', 'sys/**/*.ts', 'protocol/**/*.ts', 'client/**/*.ts', 'daemon/**/*.ts', 'syscalls/**/*.ts', 'drivers/**/*.ts'],
    rules: { 'max-lines': ['error', { max: 300, skipBlankLines: false, skipComments: false }] },
  },
  {
    // The page (web/): browser modules served as they are, type-checked by web/tsconfig.json (lib DOM, checkJs).
    // JavaScript's recommended rules, but not no-undef: the checker knows every browser global by its type.
    files: ['web/*.js'],
    languageOptions: {
      sourceType: 'module',
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      ...js.configs.recommended.rules,
      'no-undef': 'off',
      'no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-floating-promises': 'error',
      'max-lines': ['error', { max: 300, skipBlankLines: false, skipComments: false }],
      // Only the page's own files load (no build step): protocol/'s types are named in JSDoc import(), which disappears.
      'no-restricted-imports': ['error', { patterns: [{ regex: '^(?!\\./[\\w-]+\\.js$)', message: 'the page imports only its sibling modules (./name.js); types come through JSDoc import()' }] }],
    },
  },
  {
    // The kernel core and the syscalls reach the host only through drivers (and the daemon serves them).
    files: ['kernel/**/*.ts', 'sys/**/*.ts', 'syscalls/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: HOST_MODULES.map((name) => ({ name, message: 'host access belongs in drivers/ (or daemon/ for the server side)' })) },
      ],
    },
  },
);
