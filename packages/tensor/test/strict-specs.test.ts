import { expect } from 'chai';
import {
  Tensor, applyOp, avgPool, checkBool, checkEnum, checkKeys, conv2d, didYouMean, fullRegion, maxPool, randomTensor, runOp, type OpSpec,
} from '../src/index.js';
import { expectTesseraError } from './util.js';

/*
 * Issue 14: unknown or misspelt spec fields used to be ignored (`padd` ran as
 * 'valid', `strides` as stride 1, `flip: 'no'` as a flip). Each case here must
 * throw BAD_ARGUMENT naming the key, its value, the accepted keys and, for a
 * near miss, the key that was meant.
 */

const CONV_KEYS = 'Accepted keys: op, kernel, stride, dilation, padding, groups, flip, activation, alpha, beta';
const POOL_KEYS = 'Accepted keys: op, kernel, stride, dilation, padding';
const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const unknown = (what: string, key: string, value: string, near: string | null, keys: string): RegExp =>
  new RegExp(`^${esc(what)}: unknown key '${key}' \\(value ${esc(value)}\\)${near ? esc(`; did you mean '${near}'?`) : '\\.'} ${esc(keys)}$`);

describe('strict specs (issue 14)', () => {
  const x = randomTensor([1, 2, 8, 8], 1);
  const w = randomTensor([4, 2, 3, 3], 2);

  describe('conv2d', () => {
    it("rejects a misspelt 'padd' (it ran as valid)", () => {
      expectTesseraError(() => conv2d(x, w, null, { kernel: 3, padd: 'same' } as never), 'BAD_ARGUMENT',
        unknown('conv2d spec', 'padd', '"same"', 'padding', CONV_KEYS));
    });

    it("rejects 'strides' and 'dilations' (they ran as 1)", () => {
      expectTesseraError(() => conv2d(x, w, null, { kernel: 3, strides: 2 } as never), 'BAD_ARGUMENT',
        unknown('conv2d spec', 'strides', '2', 'stride', CONV_KEYS));
      expectTesseraError(() => conv2d(x, w, null, { kernel: 3, dilations: [2, 2] } as never), 'BAD_ARGUMENT',
        unknown('conv2d spec', 'dilations', '[2,2]', 'dilation', CONV_KEYS));
    });

    it("rejects flip: 'no' (it flipped the kernel)", () => {
      expectTesseraError(() => conv2d(x, w, null, { kernel: 3, flip: 'no' } as never), 'BAD_ARGUMENT',
        /conv2d flip must be true or false, got "no"/);
      expectTesseraError(() => conv2d(x, w, null, { kernel: 3, flip: 0 } as never), 'BAD_ARGUMENT', /conv2d flip must be true or false, got 0/);
    });

    it('rejects an unknown side in explicit padding', () => {
      expectTesseraError(() => conv2d(x, w, null, { kernel: 3, padding: { top: 1, bottom: 1, left: 1, right: 1, rigth: 2 } as never }), 'BAD_ARGUMENT',
        unknown('conv2d padding', 'rigth', '2', 'right', 'Accepted keys: top, bottom, left, right'));
    });

    it('checks at the kernel too (runOp, both implementations), before touching memory', () => {
      const spec = { op: 'conv2d', kernel: 3, padd: 'same' } as unknown as OpSpec;
      const out = Tensor.zeros([1, 4, 6, 6]);
      for (const impl of ['fast', 'reference'] as const) {
        expectTesseraError(() => runOp(spec, [x], { weight: w }, out, fullRegion(out.shape), impl), 'BAD_ARGUMENT', /unknown key 'padd'.*did you mean 'padding'/);
      }
      expect(Array.from(out.data).every((v) => v === 0)).to.equal(true);
    });

    it("suggests the activation meant ('Relu' → 'relu')", () => {
      expectTesseraError(() => conv2d(x, w, null, { kernel: 3, activation: 'Relu' } as never), 'BAD_ARGUMENT',
        /conv2d activation must be one of 'relu', 'relu6', 'leakyRelu', 'hardSigmoid', 'hardSwish', got "Relu"; did you mean 'relu'\?/);
    });

    it('accepts every real key, the fused epilogue included', () => {
      const y = conv2d(x, w, null, { op: 'conv2d', kernel: 3, stride: 1, dilation: 1, padding: 'same', groups: 1, flip: false, activation: 'leakyRelu', alpha: 0.1 });
      expect(y.shape).to.deep.equal([1, 4, 8, 8]);
    });
  });

  describe('pools', () => {
    it("rejects 'ceilMode' on maxPool (pytorch's flag, not ours)", () => {
      expectTesseraError(() => maxPool(x, { kernel: 2, ceilMode: true } as never), 'BAD_ARGUMENT',
        unknown('maxPool spec', 'ceilMode', 'true', null, POOL_KEYS));
    });

    it("rejects 'countIncludePad' on avgPool (padding is never counted)", () => {
      expectTesseraError(() => avgPool(x, { kernel: 3, padding: 'same', countIncludePad: true } as never), 'BAD_ARGUMENT',
        unknown('avgPool spec', 'countIncludePad', 'true', null, POOL_KEYS));
    });

    it("rejects 'strides' on a pool and keys on a global pool", () => {
      expectTesseraError(() => maxPool(x, { kernel: 2, strides: 1 } as never), 'BAD_ARGUMENT', /maxPool spec: unknown key 'strides'.*did you mean 'stride'\?/);
      expectTesseraError(() => applyOp({ op: 'globalAvgPool', kernel: 2 } as never, [x]), 'BAD_ARGUMENT',
        unknown('globalAvgPool spec', 'kernel', '2', null, 'Accepted keys: op'));
    });
  });

  describe('other ops', () => {
    it("rejects { op: 'relu', alpha: 5 } (it ran as a plain relu)", () => {
      expectTesseraError(() => applyOp({ op: 'relu', alpha: 5 } as never, [x]), 'BAD_ARGUMENT',
        unknown('relu spec', 'alpha', '5', null, 'Accepted keys: op'));
      expect(applyOp({ op: 'leakyRelu', alpha: 5 }, [x]).shape).to.deep.equal(x.shape);
    });

    it('rejects misspelt keys of pad, resize, dense, add, concat, softmax and scaleShift', () => {
      expectTesseraError(() => applyOp({ op: 'pad', top: 1, bottom: 1, left: 1, right: 1, vaule: 3 } as never, [x]), 'BAD_ARGUMENT',
        /pad spec: unknown key 'vaule' \(value 3\); did you mean 'value'\? Accepted keys: op, top, bottom, left, right, channelsBefore, channelsAfter, value, mode$/);
      expectTesseraError(() => applyOp({ op: 'resize', height: 4, width: 4, alignCorner: true } as never, [x]), 'BAD_ARGUMENT',
        /resize spec: unknown key 'alignCorner'.*did you mean 'alignCorners'\?/);
      expectTesseraError(() => applyOp({ op: 'resize', height: 4, width: 4, alignCorners: 'yes' } as never, [x]), 'BAD_ARGUMENT',
        /resize alignCorners must be true or false, got "yes"/);
      expectTesseraError(() => applyOp({ op: 'dense', activaton: 'relu' } as never, [x], { weight: randomTensor([128, 3], 3) }), 'BAD_ARGUMENT',
        /dense spec: unknown key 'activaton'.*did you mean 'activation'\? Accepted keys: op, activation, alpha, beta$/);
      for (const op of ['add', 'concat', 'softmax']) {
        expectTesseraError(() => applyOp({ op, axis: 1 } as never, op === 'add' ? [x, x] : [x]), 'BAD_ARGUMENT', new RegExp(`^${op} spec: unknown key 'axis'`));
      }
      expectTesseraError(() => applyOp({ op: 'scaleShift', epsilon: 1e-3 } as never, [x], { scale: randomTensor([2], 4) }), 'BAD_ARGUMENT',
        /scaleShift spec: unknown key 'epsilon'/);
    });
  });

  describe('the helper', () => {
    it('suggests near misses only', () => {
      const keys = ['kernel', 'stride', 'dilation', 'padding'];
      expect(didYouMean('kernal', keys)).to.equal('kernel');
      expect(didYouMean('Stride', keys)).to.equal('stride');
      expect(didYouMean('dilatoin', keys)).to.equal('dilation');
      expect(didYouMean('padd', keys)).to.equal('padding');
      expect(didYouMean('ceilMode', keys)).to.equal(undefined);
      expect(didYouMean('x', ['op'])).to.equal(undefined);
    });

    it('rejects non-objects and wrongly typed values', () => {
      expectTesseraError(() => checkKeys('opts', 3, ['a']), 'BAD_ARGUMENT', /opts must be an object, got 3/);
      expectTesseraError(() => checkKeys('opts', [1], ['a']), 'BAD_ARGUMENT', /opts must be an object, got \[1\]/);
      expectTesseraError(() => checkBool('fuse', 'false'), 'BAD_ARGUMENT', /fuse must be true or false, got "false"/);
      expectTesseraError(() => checkEnum('impl', 'fats', ['fast', 'reference']), 'BAD_ARGUMENT', /impl must be one of 'fast', 'reference', got "fats"; did you mean 'fast'\?/);
      checkKeys('opts', { a: 1, b: undefined }, ['a', 'b']);
      checkKeys('opts', Object.create({ inherited: 1 }), []); // own keys only
    });
  });
});
