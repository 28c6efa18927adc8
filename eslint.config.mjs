import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

/** functions/ and shared/ are what ships to Azure: they never import laptop tooling, tests, benches or dev-only packages. */
const DEPLOYED_BOUNDARY = [
    {
        group: ['**/tools/**', '**/test/**', '**/bench/**'],
        message: 'Deployed code (functions/, shared/) never imports tools/, test/ or bench/.',
    },
    { group: ['@ts-evtx/*'], message: 'A dev dependency: not installed in the Function App.' },
];

export default defineConfig(
    globalIgnores([
        'dist/**',
        'dist-bench/**',
        'dist-tools/**',
        'coverage/**',
        'node_modules/**',
        'bin/**',
        'eslint.config.mjs',
        'vitest.config.mts',
    ]),
    js.configs.recommended,
    tseslint.configs.recommendedTypeChecked,
    { languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } } },
    {
        linterOptions: { reportUnusedDisableDirectives: 'error' },
        rules: {
            eqeqeq: 'error',
            '@typescript-eslint/no-floating-promises': 'error', // un-awaited work outlives the invocation
            '@typescript-eslint/only-throw-error': 'error',
            '@typescript-eslint/switch-exhaustiveness-check': 'error', // Sysmon EID unions
            '@typescript-eslint/consistent-type-imports': 'error',
            '@typescript-eslint/no-unused-vars': [
                'error',
                { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true },
            ],
            'no-restricted-properties': [
                'error',
                { object: 'process', property: 'env', message: 'Read configuration through shared/config/loadConfig.' },
            ],
        },
    },
    {
        files: ['functions/composition.ts', 'shared/config/**', 'test/**', 'tools/**', 'bench/**'],
        rules: { 'no-restricted-properties': 'off' },
    },
    {
        files: ['shared/**/*.ts'],
        ignores: ['shared/storage/**', 'shared/clients/**'],
        rules: {
            'no-restricted-imports': [
                'error',
                {
                    patterns: [
                        { group: ['@azure/*'], message: 'The shared/ core stays SDK-free; use a port.' },
                        ...DEPLOYED_BOUNDARY,
                    ],
                },
            ],
        },
    },
    {
        files: ['shared/storage/**/*.ts', 'shared/clients/**/*.ts'],
        rules: {
            'no-restricted-imports': [
                'error',
                {
                    paths: [
                        { name: '@azure/functions', message: 'Adapters in shared/ never see the Functions runtime.' },
                    ],
                    patterns: DEPLOYED_BOUNDARY,
                },
            ],
        },
    },
    {
        files: ['functions/**/*.ts'],
        rules: { 'no-restricted-imports': ['error', { patterns: DEPLOYED_BOUNDARY }] },
    },
    {
        files: ['test/**/*.ts', 'bench/**/*.ts'],
        rules: {
            '@typescript-eslint/no-non-null-assertion': 'off',
            '@typescript-eslint/no-unsafe-assignment': 'off',
            '@typescript-eslint/no-unsafe-member-access': 'off',
        },
    },
);
