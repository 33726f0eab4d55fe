import { expect } from 'chai';
import { checkRegion, regionVolume, intersectRegions, isEmptyRegion, fullRegion, type Region } from '@tessera/tensor';
import { ModelBuilder, seedDilatedStack, vggBlockStack } from '@tessera/nn';
import { explain, plan, type Strategy, type TilePlan } from '../src/index.js';
import { randomModel } from './random-models.js';

function expectExactCover(regions: readonly Region[], whole: Region, what: string): void {
  const total = regions.reduce((s, r) => s + regionVolume(r), 0);
  expect(total, `${what}: volumes add up`).to.equal(regionVolume(whole));
  for (let i = 0; i < regions.length; i++) {
    for (let j = i + 1; j < regions.length; j++) {
      expect(isEmptyRegion(intersectRegions(regions[i]!, regions[j]!)), `${what}: regions ${i} and ${j} overlap`).to.equal(true);
    }
  }
}

function checkPlan(p: TilePlan): void {
  for (const [si, st] of p.stages.entries()) {
    const last = st.layers[st.layers.length - 1]!;
    expectExactCover(st.tasks.map((t) => t.regions[t.regions.length - 1]!), fullRegion(p.shapes[last]!), `stage ${si}`);
    for (const t of st.tasks) {
      expect(t.regions).to.have.length(st.layers.length);
      t.regions.forEach((r, i) => checkRegion(r, p.shapes[st.layers[i]!]!, `stage ${si} task ${t.id} layer ${st.layers[i]}`));
    }
  }
  // Every layer is computed by exactly one stage.
  expect(p.stages.flatMap((s) => s.layers)).to.deep.equal(p.shapes.map((_, i) => i));
}

describe('plan', () => {
  it('covers every stage output exactly once with regions inside the shapes (random models, all strategies)', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const m = randomModel(seed);
      for (const strategy of ['layer-wise', 'fused', 'auto'] as Strategy[]) {
        for (const workers of [1, 2, 3, 7]) checkPlan(plan(m, m.inputShape, { workers, strategy, taskOverheadUs: 1 }));
      }
    }
  });

  it('grows a fused tile by (k−1)·d per layer, as the receptive field says', () => {
    const dil = [1, 2, 4, 8];
    const stack = (h: number, w: number) => {
      const b = new ModelBuilder('dil', [1, 2, h, w]);
      let x = b.input;
      for (const d of dil) x = b.conv2d(x, { outChannels: 2, kernel: 3, dilation: d, padding: 'same' });
      return b.build(x);
    };
    // Bands of rows on a square map; a map of few rows is cut into columns too.
    for (const [h, w, axis] of [[96, 96, 'y'], [12, 192, 'x']] as const) {
      const m = stack(h, w);
      const p9 = plan(m, [1, 2, h, w], { workers: 9, strategy: 'fused', taskOverheadUs: 1 });
      expect(p9.stages).to.have.length(1);
      expect(p9.stages[0]!.kind).to.equal('fused');
      const lo = axis === 'y' ? 'y0' : 'x0', hi = axis === 'y' ? 'y1' : 'x1', len = axis === 'y' ? h : w;
      const mid = p9.stages[0]!.tasks.find((t) => t.regions.every((r) => r[lo] > 0 && r[hi] < len));
      expect(mid, `a tile inside the map along ${axis}`).to.not.equal(undefined);
      for (let i = dil.length - 2; i >= 0; i--) {
        const outer = mid!.regions[i]!, inner = mid!.regions[i + 1]!;
        const grow = 2 * dil[i + 1]!; // (k−1)·d of the layer that reads it
        expect(outer[hi] - outer[lo], `layer ${i} along ${axis}`).to.equal(inner[hi] - inner[lo] + grow);
      }
      const tot = mid!.regions[0]!, out = mid!.regions[3]!;
      // Halo of the whole stack: 2·(2+4+8) = 28 around the tile (the first layer's own input adds 2 more).
      expect(tot[hi] - tot[lo]).to.equal(out[hi] - out[lo] + 28);
    }
  });

  it('splits a 112×112×32 map by rows and a 7×7×512 map by channels', () => {
    const big = new ModelBuilder('big', [1, 16, 112, 112]);
    const m1 = big.build(big.conv2d(big.input, { outChannels: 32, kernel: 3, padding: 'same' }));
    const s1 = plan(m1, m1.inputShape, { workers: 2, strategy: 'layer-wise' }).stages[0]!;
    expect(s1.cost.cut).to.match(/^rows×/);
    const small = new ModelBuilder('small', [1, 256, 7, 7]);
    const m2 = small.build(small.conv2d(small.input, { outChannels: 512, kernel: 3, padding: 'same' }));
    const s2 = plan(m2, m2.inputShape, { workers: 2, strategy: 'layer-wise' }).stages[0]!;
    expect(s2.cost.cut).to.match(/^channels×/);
    expect(s2.tasks.length).to.be.at.least(4);
  });

  it('spreads a batch across workers by image, with no halo', () => {
    const m = seedDilatedStack({ size: 32, channels: 8, batch: 4 });
    const p = plan(m, m.inputShape, { workers: 4, strategy: 'fused' });
    const st = p.stages[0]!;
    expect(st.cost.cut).to.match(/batch×4/);
    expect(st.cost.taskFlops).to.be.closeTo(st.cost.flops, st.cost.flops * 1e-9);
  });

  it('auto fuses small layers and is printable and serialisable', () => {
    const m = vggBlockStack({ size: 32, widths: [8, 16] });
    const p = plan(m, m.inputShape, { workers: 2, strategy: 'auto', taskOverheadUs: 200 });
    expect(p.stages.some((s) => s.kind === 'fused')).to.equal(true);
    const text = explain(p);
    expect(text).to.match(/plan for model 'vgg-blocks'/).and.to.match(/halo/).and.to.match(/balance/).and.to.match(/MiB touched/);
    expect(JSON.parse(JSON.stringify(p))).to.deep.equal(p);
  });

  it('auto runs a batch of at least as many samples as workers data parallel, and explain says why', () => {
    const m = vggBlockStack({ size: 32, widths: [8, 16], batch: 8 });
    for (const workers of [2, 3, 7, 8]) {
      const p = plan(m, m.inputShape, { workers, strategy: 'auto' });
      checkPlan(p);
      expect(p.stages).to.have.length(1);
      const st = p.stages[0]!;
      expect(st.kind).to.equal('data');
      expect(st.layers).to.deep.equal(m.layers.map((l) => l.index));
      // One task per worker, each a contiguous share of whole samples: no halo.
      expect(st.tasks).to.have.length(workers);
      expect(st.cost.taskFlops).to.be.closeTo(st.cost.flops, st.cost.flops * 1e-9);
      for (const t of st.tasks) t.regions.forEach((r, i) => expect({ ...r, n0: 0, n1: 8 }).to.deep.equal(fullRegion(p.shapes[st.layers[i]!]!)));
      expect(explain(p)).to.contain(`data parallel: batch 8 ≥ ${workers} workers`).and.to.match(/no halo, no barrier/).and.to.match(/stage 0 data /);
    }
    expect(plan(m, m.inputShape, { workers: 2 }).stages[0]!.cost.cut).to.equal('samples 4+4');
    expect(plan(m, m.inputShape, { workers: 3 }).stages[0]!.cost.cut).to.equal('samples 2+3+3');
  });

  it('auto cuts one large input into tiles or layer-wise regions, and explain says why', () => {
    const m = seedDilatedStack({ size: 96, channels: 8 });
    const p = plan(m, m.inputShape, { workers: 2, strategy: 'auto' });
    checkPlan(p);
    expect(p.stages.every((s) => s.kind === 'fused' || s.kind === 'layer')).to.equal(true);
    expect(p.stages.reduce((n, s) => n + s.tasks.length, 0)).to.be.at.least(2);
    expect(explain(p)).to.contain('batch 1 < 2 workers').and.to.not.contain('data parallel');
  });

  it('data parallel only under auto, with more than one worker', () => {
    const m = seedDilatedStack({ size: 16, channels: 2, batch: 4 });
    for (const strategy of ['layer-wise', 'fused'] as Strategy[]) {
      const p = plan(m, m.inputShape, { workers: 2, strategy });
      expect(p.stages.some((s) => s.kind === 'data'), strategy).to.equal(false);
      expect(explain(p)).to.contain(`${strategy}: as asked`);
    }
    expect(plan(m, m.inputShape, { workers: 1 }).stages.some((s) => s.kind === 'data')).to.equal(false);
    expect(plan(m, m.inputShape, { workers: 5 }).stages.some((s) => s.kind === 'data'), 'batch 4 < 5 workers').to.equal(false);
  });

  it('rejects bad options with the value named', () => {
    const m = seedDilatedStack({ size: 16, channels: 2 });
    expect(() => plan(m, m.inputShape, { workers: 0 })).to.throw(/workers must be an integer ≥ 1, got 0/);
    expect(() => plan(m, m.inputShape, { workers: 2, strategy: 'random' as Strategy })).to.throw(/strategy.*"random"/);
    expect(() => plan(m, [1, 5, 16, 16], { workers: 2 })).to.throw(/layer 0 'conv_in'/);
  });
});
