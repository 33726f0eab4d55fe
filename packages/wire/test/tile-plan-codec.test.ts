import { expect } from 'chai';
import { rng } from '@tessera/tensor';
import { decodeTilePlan, encodeTilePlan } from '../src/index.js';
import { randomPlan } from './tile-fixtures.js';
import { pb, pbDecoded, pbEncode, pbNormalized, pbPlan } from './tile-pb.js';

describe('tile plan codec', () => {
  it('round-trips 300 random plans exactly', () => {
    const r = rng(31);
    for (let i = 0; i < 300; i++) {
      const p = randomPlan(r);
      expect(decodeTilePlan(encodeTilePlan(p)), `plan ${i}`).to.deep.equal(p);
    }
  });

  it('keeps empty layer names in their places', () => {
    const p = { ...randomPlan(rng(32)) };
    const names = p.shapes.map((_, i) => (i % 2 ? '' : `l${i}`));
    expect(decodeTilePlan(encodeTilePlan({ ...p, layerNames: names })).layerNames).to.deep.equal(names);
  });

  it('agrees with protobufjs both ways', () => {
    const r = rng(33);
    for (let i = 0; i < 100; i++) {
      const p = randomPlan(r);
      expect(pbDecoded(pb.TilePlan, encodeTilePlan(p)), `plan ${i}`).to.deep.equal(pbNormalized(pb.TilePlan, pbPlan(p)));
      expect(decodeTilePlan(pbEncode(pb.TilePlan, pbPlan(p))), `plan ${i} from protobufjs`).to.deep.equal(p);
    }
  });
});
