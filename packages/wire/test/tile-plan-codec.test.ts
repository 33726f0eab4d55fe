import { expect } from 'chai';
import { rng } from '@tessera/tensor';
import protobuf from 'protobufjs';
import { WIRE_PROTO, decodeTilePlan, encodeTilePlan, type TilePlanData } from '../src/index.js';
import { randomPlan } from './tile-fixtures.js';

const root = protobuf.parse(WIRE_PROTO, { keepCase: true }).root;
const TilePlan = root.lookupType('tessera.wire.v1.TilePlan');
const STRATEGY = { 'layer-wise': 1, fused: 2, auto: 3 } as const;
const KIND = { layer: 1, fused: 2 } as const;

/** Our plan as the protobufjs plain object of the schema. */
function pbPlan(p: TilePlanData): Record<string, unknown> {
  return {
    version: p.version, model_id: p.modelId, model_name: p.modelName, input_shape: [...p.inputShape], workers: p.workers,
    strategy: STRATEGY[p.strategy], shapes: p.shapes.map((s) => ({ dims: [...s] })), layer_names: [...p.layerNames],
    stages: p.stages.map((s) => ({
      kind: KIND[s.kind], layers: [...s.layers], tasks: s.tasks.map((t) => ({ id: t.id, regions: t.regions.map((r) => ({ ...r })) })),
      cut: s.cut, flops: s.flops, task_flops: s.taskFlops, bytes: s.bytes, balance: s.balance, estimated_ms: s.estimatedMs,
    })),
    task_overhead_us: p.taskOverheadUs, stage_overhead_us: p.stageOverheadUs,
  };
}

const TO_OBJECT = { longs: Number, enums: Number, defaults: true } as const;

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
      const ours = TilePlan.toObject(TilePlan.decode(encodeTilePlan(p)), TO_OBJECT);
      expect(ours, `plan ${i}`).to.deep.equal(TilePlan.toObject(TilePlan.fromObject(pbPlan(p)), TO_OBJECT));
      expect(decodeTilePlan(TilePlan.encode(TilePlan.fromObject(pbPlan(p))).finish()), `plan ${i} from protobufjs`).to.deep.equal(p);
    }
  });
});
