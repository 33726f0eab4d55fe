import { expect } from 'chai';
import { GraphWriter } from './models-graph.js';
import { AllExecutors, checkEveryExecutor } from './models-run.js';

/*
 * Models written here in the shapes real CNNs have, each run on
 * LocalExecutor (within 1e-4 of onnxruntime-node), PoolExecutor at 1, 2
 * and 3 threads and ClusterExecutor (bit for bit equal to LocalExecutor).
 * Input sizes are odd where the architecture allows, so tiles and edge
 * regions are uneven.
 */

/** ResNet: 7×7 stem + BN + ReLU, max pool, basic blocks with residual adds, a strided block with a 1×1 projection shortcut. */
function resnet(): Uint8Array {
  const g = new GraphWriter(1);
  let x = g.relu(g.bn(g.conv('x', 3, 16, 7, { stride: 2, pad: 3 }), 16));
  x = g.op('MaxPool', [x], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] });
  const basic = (inp: string, cin: number, cout: number, stride: number): string => {
    const a = g.relu(g.bn(g.conv(inp, cin, cout, 3, { stride }), cout));
    const b = g.bn(g.conv(a, cout, cout, 3), cout);
    const short = stride === 1 && cin === cout ? inp : g.bn(g.conv(inp, cin, cout, 1, { stride, pad: 0 }), cout);
    return g.relu(g.op('Add', [b, short]));
  };
  x = basic(x, 16, 16, 1);
  x = basic(x, 16, 16, 1);
  x = basic(x, 16, 32, 2);
  x = basic(x, 32, 32, 1);
  x = g.op('GlobalAveragePool', [x]);
  x = g.op('Flatten', [x], { axis: 1 });
  x = g.op('Gemm', [x, g.weight([10, 32], 0.3), g.weight([10], 0.1)], { transB: 1 });
  return g.bytes(['N', 3, 'H', 'W'], x, 'resnet-shaped');
}

/** MobileNetV2: stride-2 stem, inverted residuals (1×1 expand, depthwise 3×3, Clip(0, 6), 1×1 linear projection, add when shapes allow). */
function mobileNetV2(): Uint8Array {
  const g = new GraphWriter(2);
  let x = g.relu6(g.bn(g.conv('x', 3, 16, 3, { stride: 2 }), 16));
  const inverted = (inp: string, cin: number, cout: number, expand: number, stride: number): string => {
    const hidden = cin * expand;
    let h = inp;
    if (expand !== 1) h = g.relu6(g.bn(g.conv(h, cin, hidden, 1, { pad: 0 }), hidden));
    h = g.relu6(g.bn(g.conv(h, hidden, hidden, 3, { stride, group: hidden }), hidden));
    h = g.bn(g.conv(h, hidden, cout, 1, { pad: 0 }), cout);
    return stride === 1 && cin === cout ? g.op('Add', [inp, h]) : h;
  };
  x = inverted(x, 16, 8, 1, 1);
  x = inverted(x, 8, 12, 6, 2);
  x = inverted(x, 12, 12, 6, 1);
  x = inverted(x, 12, 16, 6, 2);
  x = inverted(x, 16, 16, 6, 1);
  x = g.relu6(g.bn(g.conv(x, 16, 64, 1, { pad: 0 }), 64));
  x = g.op('GlobalAveragePool', [x]);
  // The classifier end as PaddlePaddle exports x.reshape([x.shape[0], -1]): a folded Shape → Slice → Concat.
  const batch = g.op('Slice', [g.op('Shape', [x]), g.ints([0]), g.ints([1]), g.ints([0])]);
  x = g.op('Reshape', [x, g.op('Concat', [batch, g.ints([-1])], { axis: 0 })]);
  x = g.op('Add', [g.op('MatMul', [x, g.weight([64, 10], 0.3)]), g.weight([10], 0.1)]);
  x = g.op('Softmax', [x], { axis: 1 });
  return g.bytes(['N', 3, 'H', 'W'], x, 'mobilenetv2-shaped');
}

/**
 * MobileNetV3: hardswish written out as x · Clip(x + 3, 0, 6) / 6 (PaddlePaddle's export; once as Div by 6,
 * once as Mul by 1/6), affine steps as Mul/Div then Add/Sub of constants, squeeze-excite (global pool, 1×1
 * convs, HardSigmoid, a broadcasting Mul), and one x + 3 that another node also reads, which must stay
 * arithmetic.
 */
function mobileNetV3(): Uint8Array {
  const g = new GraphWriter(5);
  const hswish = (x: string, div: boolean): string => {
    const c = g.relu6(g.op('Add', [x, g.scalar(3)]));
    return div ? g.op('Div', [g.op('Mul', [x, c]), g.scalar(6)]) : g.op('Mul', [g.op('Mul', [c, x]), g.scalar(1 / 6)]);
  };
  let x = hswish(g.bn(g.conv('x', 3, 16, 3, { stride: 2 }), 16), true);
  // Affine steps written as two nodes each (PP-LCNet's learnable affine blocks): x / c − d, then w · x + b.
  x = g.op('Sub', [g.op('Div', [x, g.weight([1, 16, 1, 1], 0.5, 'aff.c')]), g.scalar(0.1)]);
  const affine = (inp: string): string => g.op('Add', [g.op('Mul', [g.scalar(1.2), inp]), g.scalar(-0.05)]);
  const se = (inp: string, c: number): string => {
    const s = g.relu(g.conv(g.op('GlobalAveragePool', [inp]), c, c / 4, 1, { pad: 0, bias: true }));
    return g.op('Mul', [inp, g.op('HardSigmoid', [g.conv(s, c / 4, c, 1, { pad: 0, bias: true })], { alpha: { f: 0.2 }, beta: { f: 0.5 } })]);
  };
  let h = affine(hswish(g.bn(g.conv(x, 16, 48, 1, { pad: 0 }), 48), false));
  h = se(hswish(g.bn(g.conv(h, 48, 48, 5, { stride: 2, group: 48 }), 48), true), 48);
  x = g.bn(g.conv(h, 48, 24, 1, { pad: 0 }), 24);
  const plus3 = g.op('Add', [x, g.scalar(3)]);
  const shared = g.op('Mul', [x, g.relu6(plus3)]);
  x = g.op('Add', [g.op('Div', [shared, g.scalar(6)]), g.relu(plus3)]);
  x = g.op('Flatten', [g.op('GlobalAveragePool', [x])]);
  return g.bytes(['N', 3, 'H', 'W'], g.op('Gemm', [x, g.weight([5, 24], 0.3)], { transB: 1 }), 'mobilenetv3-shaped', 11);
}

/** U-Net: two encoder levels with max pools, a ConvTranspose up-sampling and a Resize up-sampling, each concatenated with its skip connection, a sigmoid mask. */
function unet(): Uint8Array {
  const g = new GraphWriter(3);
  const block = (inp: string, cin: number, cout: number): string => g.relu(g.conv(g.relu(g.conv(inp, cin, cout, 3, { bias: true })), cout, cout, 3, { bias: true }));
  const e1 = block('x', 3, 8);
  const e2 = block(g.op('MaxPool', [e1], { kernel_shape: [2, 2], strides: [2, 2] }), 8, 16);
  const mid = block(g.op('MaxPool', [e2], { kernel_shape: [2, 2], strides: [2, 2] }), 16, 32);
  const up2 = g.op('ConvTranspose', [mid, g.weight([32, 16, 2, 2], Math.sqrt(3 / 32)), g.weight([16], 0.1)], { kernel_shape: [2, 2], strides: [2, 2] });
  const d2 = block(g.op('Concat', [up2, e2], { axis: 1 }), 32, 16);
  const up1 = g.conv(g.op('Resize', [d2, '', g.floats([1, 1, 2, 2])], { mode: 'linear', coordinate_transformation_mode: 'half_pixel' }), 16, 8, 1, { pad: 0 });
  const d1 = block(g.op('Concat', [e1, up1], { axis: 1 }), 16, 8);
  const y = g.op('Sigmoid', [g.conv(d1, 8, 1, 1, { pad: 0, bias: true })]);
  return g.bytes([1, 3, 'H', 'W'], y, 'unet-shaped');
}

/**
 * A single-shot detector head: strided backbone with leaky ReLU, a ceil-mode pool, a 3×3 head conv, then
 * box (4 × 3 anchors) and score (3 anchors, sigmoid) 1×1 branches — as two graph outputs, or concatenated
 * into one.
 */
function detectorHead(outputs: 'two' | 'concat'): Uint8Array {
  const g = new GraphWriter(4);
  let x = g.op('LeakyRelu', [g.bn(g.conv('x', 3, 16, 3, { stride: 2 }), 16)], { alpha: { f: 0.1 } });
  x = g.op('MaxPool', [x], { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 });
  x = g.relu(g.bn(g.conv(x, 16, 32, 3, { stride: 2 }), 32));
  const head = g.relu(g.conv(x, 32, 32, 3, { bias: true }));
  const boxes = g.conv(head, 32, 12, 1, { pad: 0, bias: true });
  const scores = g.op('Sigmoid', [g.conv(head, 32, 3, 1, { pad: 0, bias: true })]);
  return outputs === 'two'
    ? g.bytes(['N', 3, 'H', 'W'], { boxes, scores }, 'detector-head')
    : g.bytes(['N', 3, 'H', 'W'], g.op('Concat', [boxes, scores], { axis: 1 }), 'detector-head-concat');
}

describe('model-shaped graphs on every executor', function () {
  this.timeout(240_000);
  const execs = new AllExecutors();
  before(async () => { await execs.start(); });
  after(async () => { await execs.stop(); });

  it('ResNet-shaped (residual adds, strided projection shortcut, BN folded): ORT within 1e-4, every executor bit-identical', async () => {
    const { imp } = await checkEveryExecutor(resnet(), [1, 3, 61, 67], execs, 'ResNet-shaped');
    const ops = imp.model.layers.map((l) => l.spec.op);
    expect(ops).to.not.include('scaleShift');
    expect(ops.filter((o) => o === 'add')).to.have.length(4);
  });

  it('MobileNetV2-shaped (depthwise, Clip relu6, inverted residuals, a Shape → Slice → Reshape classifier end), batch 2: ORT within 1e-4, every executor bit-identical', async () => {
    const { imp } = await checkEveryExecutor(mobileNetV2(), [2, 3, 45, 53], execs, 'MobileNetV2-shaped');
    const ops = imp.model.layers.map((l) => l.spec.op);
    expect(ops).to.not.include('scaleShift');
    expect(ops.filter((o) => o === 'relu6').length).to.be.greaterThan(10);
    expect(imp.model.layers.some((l) => l.spec.op === 'conv2d' && (l.spec as { groups?: number }).groups! > 1)).to.equal(true);
  });

  it('MobileNetV3-shaped (hardswish chains become hardSwish layers, affine pairs one scaleShift, squeeze-excite): ORT within 1e-4, every executor bit-identical', async () => {
    const { imp } = await checkEveryExecutor(mobileNetV3(), [1, 3, 57, 71], execs, 'MobileNetV3-shaped');
    const ops = imp.model.layers.map((l) => l.spec.op);
    expect(ops.filter((o) => o === 'hardSwish')).to.have.length(3);
    // The fourth chain's x + 3 is also read by a Relu: it stays Add, Clip, Mul, Div.
    expect(ops.filter((o) => o === 'relu6')).to.have.length(1);
    expect(ops.filter((o) => o === 'binary')).to.have.length(2);
    // Each affine pair is one scaleShift, and so are the unfused chain's + 3 and / 6 (the BatchNormalizations
    // are folded into their convs).
    expect(ops.filter((o) => o === 'scaleShift')).to.have.length(4);
  });

  it('U-Net-shaped (ConvTranspose, Resize, Concat skips): ORT within 1e-4, every executor bit-identical', async () => {
    await checkEveryExecutor(unet(), [1, 3, 36, 44], execs, 'U-Net-shaped');
  });

  it('detector head (leaky ReLU, ceil-mode pool) with box and score outputs: ORT within 1e-4, every executor\'s runAll bit-identical', async () => {
    const { imp, ours } = await checkEveryExecutor(detectorHead('two'), [1, 3, 83, 97], execs, 'detector head');
    expect(imp.outputs.map((o) => [o.name, [...o.shape]])).to.deep.equal([['boxes', [1, 12, 11, 13]], ['scores', [1, 3, 11, 13]]]);
    expect(Object.keys(ours)).to.deep.equal(['boxes', 'scores']);
  });

  it('the same head with its branches concatenated into one output, batch 2: ORT within 1e-4, every executor bit-identical', async () => {
    await checkEveryExecutor(detectorHead('concat'), [2, 3, 64, 80], execs, 'concatenated detector head');
  });
});
