// azurite ships no typings for its deep imports (docs/architecture.md).
declare module 'azurite/dist/src/table/TableServer' {
    const TableServer: new (config: unknown) => {
        start(): Promise<void>;
        close(): Promise<void>;
        getHttpServerAddress(): string;
    };
    export default TableServer;
}
declare module 'azurite/dist/src/table/TableConfiguration' {
    const TableConfiguration: new (...args: unknown[]) => unknown;
    export default TableConfiguration;
}
