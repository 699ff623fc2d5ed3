#!/usr/bin/env node
// Thin shim: the CLI is written in TypeScript and built into dist/ by `npm install` (prepare).
import { main } from '../dist/src/cli/main.js';

process.exitCode = await main(process.argv);
