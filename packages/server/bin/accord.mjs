#!/usr/bin/env node
// Accord's command-line entry point: runs the TypeScript sources through tsx's loader.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
