// One of the processes of the cross-process gallery test: opens the gallery, says 'ready', waits for a line
// on stdin (so both start writing together), then enrolls COUNT descriptors one transaction each.
import { createInterface } from 'node:readline';
import { Gallery } from '../src/gallery.js';

const [path, name, count] = process.argv.slice(2) as [string, string, string];
const g = Gallery.open(path);
process.stdout.write('ready\n');
await new Promise((go) => createInterface({ input: process.stdin }).once('line', go));
for (let i = 0; i < Number(count); i++) {
  const d = Float32Array.from({ length: 128 }, (_, k) => Math.sin(i + k));
  g.enroll(name, [{ descriptor: d, source: `${name}-${i}.jpg` }]);
}
g.close();
process.stdout.write('done\n');
process.exit(0);
