// Links node_modules/.bin/trustwatch to this clone's bin, so that the command runs from the
// clone without a global install (npm links the bins of dependencies only, not the package's own).
import { mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const binDir = join(root, 'node_modules', '.bin');
const link = join(binDir, 'trustwatch');
mkdirSync(binDir, { recursive: true });
rmSync(link, { force: true });
symlinkSync(relative(binDir, join(root, 'bin', 'trustwatch.js')), link);
