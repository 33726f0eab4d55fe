import { expect } from 'chai';
import { Status } from '../src/io.js';

describe('progress line', () => {
  it('on a terminal: each stage overwrites one stderr line, done() erases it', () => {
    const written: string[] = [];
    const s = new Status(true, (x) => written.push(x));
    s.stage('loading model.onnx');
    s.stage(`running ${'x'.repeat(200)}`);
    s.done();
    s.done();
    expect(written).to.have.length(3);
    expect(written[0]).to.equal(`\r${'… loading model.onnx'.padEnd(79)}`);
    expect(written[1]).to.have.length(80);
    expect(written[2]).to.equal(`\r${' '.repeat(79)}\r`);
  });

  it('not on a terminal (or with --json): writes nothing', () => {
    const written: string[] = [];
    const s = new Status(false, (x) => written.push(x));
    s.stage('loading');
    s.done();
    expect(written).to.deep.equal([]);
  });
});
