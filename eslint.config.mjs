// @ts-check
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'cdk.out/', '.angular/', 'coverage/', 'scratch/', '.proliferate/', 'test-artifacts/'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-console': ['error', { allow: ['warn', 'error'] }],
      // `import { z } from 'zod'` defeats tree-shaking (it drags every locale into each Lambda bundle, ~370 kB).
      'no-restricted-syntax': [
        'error',
        { selector: "ImportDeclaration[source.value='zod'] > ImportSpecifier[imported.name='z']", message: "Use `import * as z from 'zod'`." },
      ],
    },
  },
  {
    // The domain never reaches AWS, the CDK, handlers or infrastructure directly: it talks through shared/ports.
    files: ['shared/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: ['@aws-sdk/*', 'aws-cdk-lib', 'aws-cdk-lib/*', '**/functions/**', '**/infra/**', '**/adapters/**'],
        },
      ],
    },
  },
  {
    // Tests read JSON replies loosely; the contracts are checked by the code under test.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['bin/**/*.ts', 'cli/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
);
