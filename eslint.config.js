// ESLint (flat config): typescript-eslint's recommended rules plus a few that keep the code plain.
// Layout is Prettier's (.prettierrc.json); `max-len` catches what Prettier cannot wrap (comments).
// Run: npm run lint. CI (.ci/run) fails on any error.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  {
    ignores: [
      'dist/',
      'docs/api/',
      'out/',
      'bench/peers/node_modules/',
      // A local Python environment for the PyTorch fixtures (git-ignored).
      '.venv*/',
      // Written by scripts/build-wasm.ts (base64 of the .wat modules), not by hand.
      'src/wasm/module.generated.ts',
    ],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      eqeqeq: ['error', 'always'],
      'prefer-const': 'error',
      // 120 columns for code and comments; a line long only because of a string, a template
      // literal (error messages stay greppable), a URL or a regular expression is allowed.
      'max-len': [
        'error',
        { code: 120, ignoreUrls: true, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true },
      ],
    },
  },
);
