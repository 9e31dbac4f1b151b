import t from 'tap';
import { startConsole } from './browser.js';
import { checkPages, seedConsole } from './fixtures.js';

const h = await startConsole(t);
const seed = await seedConsole(h);

t.test('the admin\'s pages up to Sumber data: Indonesian, accessible, usable at 360 px', (t) => checkPages(t, h, seed, 'admin', [0, 8]));
