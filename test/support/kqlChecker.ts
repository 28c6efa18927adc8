/**
 * @module Parses and analyzes KQL offline with Kusto.Language (`@kusto/language-service-next`, a Bridge.NET build that
 * attaches to `globalThis`; its runtime `bridge.js` must load first) against tables declared by schema strings.
 * Unknown tables, columns and functions, wrong types and syntax errors come back as diagnostics.
 */
import { createRequire } from 'node:module';

const load = createRequire(__filename);

interface Diagnostic {
    Severity: string;
    Code: string;
    Message: string;
    Start: number;
    End: number;
}
interface KustoLanguage {
    Symbols: {
        TableSymbol: { $ctor7: new (name: string, schema: string, description: string | null) => unknown };
        DatabaseSymbol: { ctor: new (name: string, members: unknown[]) => unknown };
    };
    GlobalState: { Default: { WithDatabase(db: unknown): unknown } };
    KustoCode: {
        ParseAndAnalyze(
            text: string,
            globals: unknown,
        ): { GetDiagnostics(): { Count: number; getItem(i: number): Diagnostic } };
    };
}

let language: KustoLanguage | undefined;

function kusto(): KustoLanguage {
    if (!language) {
        load('@kusto/language-service-next/bridge.js');
        load('@kusto/language-service-next');
        language = (globalThis as unknown as { Kusto: { Language: KustoLanguage } }).Kusto.Language;
    }
    return language;
}

/** Table name to schema, e.g. `{ customMetrics: '(timestamp:datetime, name:string, value:real)' }`. */
export type TableSchemas = Readonly<Record<string, string>>;

/** Error diagnostics of `query` against a database holding exactly `tables`, as `CODE [start,end) message`. */
export function kqlErrors(query: string, tables: TableSchemas): string[] {
    const K = kusto();
    const symbols = Object.entries(tables).map(
        ([name, schema]) => new K.Symbols.TableSymbol.$ctor7(name, schema, null),
    );
    // DatabaseSymbol.$ctor2 is the (name, alternateName, members) overload: every table would then be unknown.
    const globals = K.GlobalState.Default.WithDatabase(new K.Symbols.DatabaseSymbol.ctor('db', symbols));
    const diagnostics = K.KustoCode.ParseAndAnalyze(query, globals).GetDiagnostics();
    const errors: string[] = [];
    for (let i = 0; i < diagnostics.Count; i++) {
        const d = diagnostics.getItem(i);
        if (d.Severity === 'Error') errors.push(`${d.Code} [${d.Start},${d.End}) ${d.Message}`);
    }
    return errors;
}
