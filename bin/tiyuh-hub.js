#!/usr/bin/env node
// Runs the TypeScript sources through tsx so `npm ci` alone is enough to start the hub.
import { register } from 'tsx/esm/api';
register();
await import('../src/cli/main.ts');
