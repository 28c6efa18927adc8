#!/usr/bin/env node
// Runs the compiled CLI when the project was built (`npm run build`) and no source changed since, else the TypeScript
// sources through tsx (bin/entry.js decides).
'use strict';
const { join } = require('node:path');
const { chooseEntry } = require('./entry');

let canRunSource = true;
try {
    require.resolve('tsx/cjs/api');
} catch {
    canRunSource = false; // a production install: dev dependencies are not there
}
const entry = chooseEntry(join(__dirname, '..'), canRunSource);
if (entry.kind === 'source') {
    if (entry.stale)
        process.stderr.write(
            'hollowtrace: dist/ is older than the sources, so the sources run (npm run build refreshes dist/)\n',
        );
    require('tsx/cjs/api').register();
}
require(entry.path).runCli();
