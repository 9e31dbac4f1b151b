import t from 'tap';
import { startConsole } from './browser.js';
import { checkPages, seedConsole } from './fixtures.js';

const h = await startConsole(t);
const seed = await seedConsole(h);

// Split in two files: one file's time limit does not cover all of the admin's pages on a busy machine.
t.test('the admin\'s pages from Pengguna on: Indonesian, accessible, usable at 360 px', (t) => checkPages(t, h, seed, 'admin', [8, 99]));
