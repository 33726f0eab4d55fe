import { expect } from 'chai';
import type { Region } from '@tessera/tensor';
import { INPUT, fuseLayers, seedDilatedStack, vggBlockStack } from '@tessera/nn';
import { plan, taskReads, type Strategy } from '../src/index.js';
import { layoutBuffers } from '../src/buffers.js';
import { taskDependencies } from '../src/plan/dependencies.js';
import { randomModel } from './random-models.js';

/** Elements of `r` not covered by any of `parts` (counted cell by cell: the test models are small). */
function uncovered(r: Region, parts: readonly Region[]): number {
  let n = 0;
  for (let b = r.n0; b < r.n1; b++) for (let c = r.c0; c < r.c1; c++) for (let y = r.y0; y < r.y1; y++) for (let x = r.x0; x < r.x1; x++) {
    if (!parts.some((p) => b >= p.n0 && b < p.n1 && c >= p.c0 && c < p.c1 && y >= p.y0 && y < p.y1 && x >= p.x0 && x < p.x1)) n++;
  }
  return n;
}

describe('task dependencies of a dataflow run', () => {
  // Long models (fused runs are cut at 12 layers and at layers that are not spatially local), one sample (no data stage).
  const models = [...Array.from({ length: 10 }, (_, i) => randomModel(900 + i, { chains: i % 2 === 0, layers: 18 + i, batch: 1 })), seedDilatedStack({ size: 24, channels: 4 }), vggBlockStack({ size: 32, widths: [4, 8] })];
  for (const strategy of ['layer-wise', 'fused', 'auto'] as Strategy[]) {
    it(`${strategy}: every read is covered by the tasks waited for, every overwrite waits for the readers, only earlier tasks are waited for`, () => {
      let checked = 0;
      for (const original of models) {
        const model = fuseLayers(original);
        for (const workers of [2, 3, 7]) {
          const p = plan(model, model.inputShape, { workers, strategy, stageOverheadUs: 20 });
          if (p.stages.some((st) => st.kind === 'data')) continue;
          const { offsets, deps } = taskDependencies(model, p);
          const { bufferOf } = layoutBuffers(model, p);
          const stageOf = new Map(p.stages.map((st, s) => [st.layers[st.layers.length - 1]!, s]));
          const readersOf = new Map<number, number[]>();
          p.stages.forEach((st, s) => st.tasks.forEach((task, t) => {
            const g = offsets[s]! + t;
            const mine = deps[g]!;
            expect(mine.every((d) => d < offsets[s]!), `${model.name} stage ${s} task ${t} waits only for earlier stages`).to.equal(true);
            for (const [src, r] of taskReads(model, p.inputShape, st.layers, task.regions)) {
              if (src === INPUT || !stageOf.has(src)) continue;
              const ps = stageOf.get(src)!;
              readersOf.set(src, [...(readersOf.get(src) ?? []), g]);
              const writers = p.stages[ps]!.tasks.filter((_, k) => mine.includes(offsets[ps]! + k)).map((u) => u.regions[u.regions.length - 1]!);
              expect(uncovered(r, writers), `${model.name} stage ${s} task ${t}: read of layer ${src} covered`).to.equal(0);
              checked++;
            }
          }));
          // A stage writing a reused buffer waits for every reader of what the buffer held before.
          const lastIn = new Map<number, number>();
          p.stages.forEach((st, s) => {
            const out = st.layers[st.layers.length - 1]!;
            const buf = bufferOf.get(out);
            const before = buf === undefined ? undefined : lastIn.get(buf);
            if (before !== undefined) {
              for (let t = 0; t < st.tasks.length; t++) {
                for (const rd of readersOf.get(before) ?? []) expect(deps[offsets[s]! + t], `${model.name} stage ${s} overwrites layer ${before}`).to.include(rd);
              }
            }
            if (buf !== undefined) lastIn.set(buf, out);
          });
        }
      }
      expect(checked, 'reads checked').to.be.greaterThan(20);
    });
  }
});
