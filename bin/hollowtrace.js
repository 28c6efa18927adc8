#!/usr/bin/env node
// Runs the compiled CLI when the project was built (`npm run build`), else the TypeScript source through tsx.
'use strict';
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const compiled = join(__dirname, '..', 'dist', 'cli', 'hollowtrace.js');
if (!existsSync(compiled)) require('tsx/cjs/api').register();
require(existsSync(compiled) ? compiled : join(__dirname, '..', 'cli', 'hollowtrace.ts')).runCli();
