// Writes docs/context.md from the context file schema.
import { writeFileSync } from 'node:fs';
import { renderContextReference } from '../src/cli/context-reference.js';

writeFileSync(new URL('../docs/context.md', import.meta.url), renderContextReference());
