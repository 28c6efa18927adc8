/**
 * What ships to the Function App is functions/ and shared/ (tsconfig.build.json), installed with
 * `npm ci --omit=dev`. Every import in those folders must therefore stay inside them and, when it names a package,
 * name a Node built-in or a production dependency of package.json: tooling (tools/), tests, benches and dev
 * dependencies such as @ts-evtx/core are not there at run time.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '../../..');
const DEPLOYED_DIRS = ['functions', 'shared'];

function typeScriptFiles(dir: string): string[] {
    return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) return typeScriptFiles(path);
        return entry.name.endsWith('.ts') ? [path] : [];
    });
}

/** Every module specifier a file imports, re-exports or requires (type-only imports included: keep them honest too). */
function importedSpecifiers(file: string): string[] {
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    return info.importedFiles.map((ref) => ref.fileName);
}

/** The package a bare specifier names: `@scope/name/sub` → `@scope/name`, `name/sub` → `name`. */
function packageName(specifier: string): string {
    const parts = specifier.split('/');
    return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
};
const productionPackages = new Set(Object.keys(manifest.dependencies));
const builtins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));
const deployedFiles = DEPLOYED_DIRS.flatMap((dir) => typeScriptFiles(join(ROOT, dir)));

describe('the deployed package (functions/ and shared/)', () => {
    it('has files to check', () => {
        expect(deployedFiles.length).toBeGreaterThan(20);
    });

    it('imports nothing from tools/, test/, bench/ or anywhere outside functions/ and shared/', () => {
        const escapes: string[] = [];
        for (const file of deployedFiles) {
            for (const specifier of importedSpecifiers(file)) {
                if (!specifier.startsWith('.')) continue;
                const target = relative(ROOT, resolve(dirname(file), specifier));
                const top = target.split(sep)[0]!;
                if (!DEPLOYED_DIRS.includes(top)) escapes.push(`${relative(ROOT, file)} imports ${specifier}`);
            }
        }
        expect(escapes).toEqual([]);
    });

    it('imports only Node built-ins and production dependencies', () => {
        const outside: string[] = [];
        for (const file of deployedFiles) {
            for (const specifier of importedSpecifiers(file)) {
                if (specifier.startsWith('.') || builtins.has(specifier)) continue;
                if (!productionPackages.has(packageName(specifier)))
                    outside.push(`${relative(ROOT, file)} imports ${specifier}`);
            }
        }
        expect(outside).toEqual([]);
    });

    it('keeps tooling-only packages out of the production dependencies', () => {
        expect(Object.keys(manifest.devDependencies)).toContain('@ts-evtx/core');
        expect(productionPackages.has('@ts-evtx/core')).toBe(false);
    });

    it('is exactly what the deployed build compiles, and the Functions package leaves tooling out', () => {
        const build = JSON.parse(readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8')) as { include: string[] };
        const compiledTops = new Set(build.include.map((pattern) => pattern.split('/')[0]));
        expect(compiledTops).toEqual(new Set([...DEPLOYED_DIRS, 'types']));
        const funcIgnore = readFileSync(join(ROOT, '.funcignore'), 'utf8').split('\n');
        expect(funcIgnore).toEqual(expect.arrayContaining(['tools', 'dist-tools', 'test', 'bench']));
    });
});

describe('the import checks themselves', () => {
    it('see a relative escape and a dev dependency when a file has them', () => {
        const probe = join(ROOT, 'shared', 'probe.ts');
        const source = "import { x } from '../tools/simulate/simulate';\nimport { y } from '@ts-evtx/core';\n";
        const specifiers = ts.preProcessFile(source, true, true).importedFiles.map((ref) => ref.fileName);
        expect(specifiers).toEqual(['../tools/simulate/simulate', '@ts-evtx/core']);
        expect(relative(ROOT, resolve(dirname(probe), specifiers[0]!)).split(sep)[0]).toBe('tools');
        expect(productionPackages.has(packageName(specifiers[1]!))).toBe(false);
    });
});
