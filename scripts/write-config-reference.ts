// Rewrites the hub.yaml reference block in README.md from the schema (npm run docs:config).
import { readFileSync, writeFileSync } from 'node:fs';
import { REFERENCE_BEGIN, REFERENCE_END, renderReference } from '../src/config/reference.js';

const readme = readFileSync('README.md', 'utf8');
const start = readme.indexOf(REFERENCE_BEGIN);
const end = readme.indexOf(REFERENCE_END);
if (start < 0 || end < 0) throw new Error('README.md has no hub.yaml reference markers');
writeFileSync('README.md', readme.slice(0, start) + renderReference() + readme.slice(end + REFERENCE_END.length));
console.log('README.md: hub.yaml reference rewritten');
