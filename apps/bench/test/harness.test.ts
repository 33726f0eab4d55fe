import { expect } from 'chai';
import { parseCli, UsageError } from '../src/harness/args.js';
import { compareOutputs, defaultTolerance } from '../src/harness/compare.js';
import { median, stats } from '../src/harness/stats.js';
import { barChart } from '../src/charts/bar-chart.js';
import { lineChart } from '../src/charts/line-chart.js';
import { linearTicks, logTicks } from '../src/charts/svg.js';
import { checkSvg } from './svg-check.js';

describe('harness pieces', () => {
  it('median, min, max and GFLOP/s from the stated FLOP count', () => {
    expect(median([3, 1, 2])).to.equal(2);
    expect(median([4, 1, 3, 2])).to.equal(2.5);
    const s = stats([2, 4, 3], 6e6);
    expect(s).to.include({ n: 3, medianMs: 3, minMs: 2, maxMs: 4, meanMs: 3 });
    expect(s.gflops).to.be.closeTo(2, 1e-12); // 6 MFLOP in 3 ms
    expect(stats([1], null).gflops).to.equal(null);
  });

  it('compares outputs: max abs, max rel with a floor, NaN and length mismatches are errors', () => {
    const c = compareOutputs([1, 2.001, 0], [1, 2, 1e-9]);
    expect(c.maxAbs).to.be.closeTo(1e-3, 1e-9);
    expect(c.maxRel).to.be.closeTo(5e-4, 1e-6); // the near-zero reference value is floored at 1e-3·max|ref|
    expect(compareOutputs([NaN, 1], [0, 1]).maxAbs).to.be.NaN;
    expect(compareOutputs([1], [1, 2]).lengthMismatch).to.equal(true);
    expect(defaultTolerance(0.5)).to.equal(1e-4);
    expect(defaultTolerance(20)).to.be.closeTo(2e-3, 1e-15);
  });

  it('parses the command line and names bad values', () => {
    const o = parseCli(['kernels', '--threads', '4,1', '--runs', '3', '--warmup', '0']);
    expect(o).to.deep.include({ suites: ['kernels'], threads: [1, 4], runs: 3, warmup: 0, quick: false });
    expect(parseCli(['--quick']).runs).to.equal(1);
    expect(() => parseCli(['--runs', '2.5'])).to.throw(UsageError, "--runs must be an integer ≥ 1, got '2.5'");
    expect(() => parseCli(['--warmup', '-1'])).to.throw(UsageError, '--warmup');
    expect(() => parseCli(['--workers', '0'])).to.throw(UsageError, "--workers must be an integer ≥ 1, got '0'");
    expect(() => parseCli(['--threads', ''])).to.throw(UsageError, '--threads');
  });

  it('ticks: round linear steps, decades on a log axis', () => {
    expect(linearTicks(0, 10)).to.deep.equal([0, 2, 4, 6, 8, 10]);
    expect(logTicks(0.05, 230)).to.deep.equal([0.01, 0.1, 1, 10, 100, 1000]);
  });

  it('renders well-formed charts, escaping labels and marking unsupported peers', () => {
    const bars = barChart({
      title: 'A & B <test>', yLabel: 'GFLOP/s', yScale: 'log',
      categories: [{ key: 'c1', label: 'L1' }, { key: 'c2', label: 'L2', sublabel: '231 MFLOP' }],
      series: [{ key: 'a', label: 'tfjs "cpu"', colour: '#f28e2b' }, { key: 'b', label: 'ORT', colour: '#3a9a3a' }],
      values: { c1: { a: 0.25, b: 31 }, c2: { a: 'not supported', b: 40 } },
    });
    checkSvg(bars, 'bar chart');
    expect(bars).to.include('A &amp; B &lt;test&gt;').and.include('not supported').and.include('tfjs &quot;cpu&quot;');
    const lines = lineChart({
      title: 'speedup', xLabel: 'threads', yLabel: 'speedup', ideal: true,
      panels: [{ title: 'vgg', series: [{ label: 'fused', colour: '#e15759', points: [[1, 0.9], [2, 1.7], [4, NaN]] }] }],
    });
    checkSvg(lines, 'line chart');
    expect(lines).to.include('ideal (speedup = threads)').and.include('<polyline');
  });
});
