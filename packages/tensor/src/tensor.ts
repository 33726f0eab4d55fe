import { TesseraError, fmtShape } from './errors.js';
import { checkRegion, fmtRegion, fullRegion, regionContains, type Region } from './region.js';
import { checkShape, contiguousStrides, dims4, sizeOf, type Shape } from './shape.js';
import { allocFloat32, checkSize } from './alloc.js';

export interface TensorOptions {
  /** Back the tensor with a SharedArrayBuffer so worker threads can write into it in place. */
  shared?: boolean;
}

/**
 * A float32 tensor, NCHW for feature maps. A tensor is a view: `data` is the
 * whole backing array, `offset` and `strides` (in elements) say where the view's
 * elements live, so a Region of a feature map is a Tensor without a copy.
 */
export class Tensor {
  readonly data: Float32Array;
  readonly shape: Shape;
  readonly strides: readonly number[];
  readonly offset: number;
  /** Set when only this region of the logical shape is stored (see `Tensor.partial`). */
  readonly partial: Region | undefined;

  constructor(data: Float32Array, shape: Shape, strides?: readonly number[], offset = 0, partial?: Region) {
    checkShape(shape);
    if (!(data instanceof Float32Array)) {
      throw new TesseraError('BAD_ARGUMENT', `tensor data must be a Float32Array, got ${Object.prototype.toString.call(data)}`);
    }
    const st = strides ?? contiguousStrides(shape);
    if (st.length !== shape.length) {
      throw new TesseraError('SHAPE_MISMATCH', `strides [${st.join(', ')}] do not match the rank of shape ${fmtShape(shape)}`, { shape, strides: st });
    }
    // The furthest element a view can touch must lie inside `data` (for a partial
    // tensor: the furthest element of the region that exists).
    let first = offset, last = offset;
    if (partial) {
      checkRegion(partial, shape, 'partial tensor region');
      const [sn, sc, sh, sw] = st.length === 4 ? st : [st[0]!, st[1]!, 0, 0];
      first = offset + partial.n0 * sn! + partial.c0 * sc! + partial.y0 * sh! + partial.x0 * sw!;
      last = offset + (partial.n1 - 1) * sn! + (partial.c1 - 1) * sc! + (partial.y1 - 1) * sh! + (partial.x1 - 1) * sw!;
    } else {
      for (let i = 0; i < shape.length; i++) last += (shape[i]! - 1) * st[i]!;
    }
    if (!Number.isInteger(offset) || first < 0 || last >= data.length) {
      throw new TesseraError('SHAPE_MISMATCH',
        `shape ${fmtShape(shape)} with strides [${st.join(', ')}] and offset ${offset} needs ${last + 1} elements, data has ${data.length}`,
        { shape, strides: st, offset, length: data.length });
    }
    this.data = data;
    this.shape = Object.freeze([...shape]);
    this.strides = Object.freeze([...st]);
    this.offset = offset;
    this.partial = partial ? Object.freeze({ ...partial }) : undefined;
  }

  /**
   * A tensor of logical shape `shape` whose storage holds only `region`
   * (contiguous, region-shaped). Kernels index it with full-tensor
   * coordinates, so a worker can compute an output region from just the input
   * rectangle it reads (`inputRegion`) — the fused-tile and cluster paths.
   * Elements outside `region` do not exist: reading them is a bug.
   */
  static partial(shape: Shape, r: Region, data?: Float32Array, opts: TensorOptions = {}): Tensor {
    checkShape(shape);
    checkRegion(r, shape, 'partial tensor region');
    const rs = [r.n1 - r.n0, r.c1 - r.c0, r.y1 - r.y0, r.x1 - r.x0];
    const n = rs[0]! * rs[1]! * rs[2]! * rs[3]!;
    const buf = data ?? allocFloat32(n, opts.shared, `partial tensor of region ${fmtRegion(r)}`);
    if (buf.length < n) {
      throw new TesseraError('SHAPE_MISMATCH', `partial tensor of region ${fmtRegion(r)} needs ${n} elements, data has ${buf.length}`);
    }
    const st4 = [rs[1]! * rs[2]! * rs[3]!, rs[2]! * rs[3]!, rs[3]!, 1];
    const st = shape.length === 2 ? [st4[0]!, st4[1]!] : st4;
    const offset = -(r.n0 * st4[0]! + r.c0 * st4[1]! + r.y0 * st4[2]! + r.x0 * st4[3]!);
    return new Tensor(buf, shape, st, offset, r);
  }

  static zeros(shape: Shape, opts: TensorOptions = {}): Tensor {
    checkShape(shape);
    const data = allocFloat32(checkSize(shape), opts.shared, `tensor ${fmtShape(shape)}`);
    return new Tensor(data, shape);
  }

  static filled(shape: Shape, value: number, opts: TensorOptions = {}): Tensor {
    const t = Tensor.zeros(shape, opts);
    t.data.fill(value);
    return t;
  }

  /** Copies `values` (row-major) into a new tensor of `shape`. */
  static from(values: ArrayLike<number>, shape: Shape, opts: TensorOptions = {}): Tensor {
    checkShape(shape);
    const n = sizeOf(shape);
    if (values.length !== n) {
      throw new TesseraError('SHAPE_MISMATCH', `${values.length} values do not fill shape ${fmtShape(shape)} (${n} elements)`, { shape, length: values.length });
    }
    const t = Tensor.zeros(shape, opts);
    t.data.set(values);
    return t;
  }

  /** Wraps existing memory (e.g. a SharedArrayBuffer received by a worker) without copying. */
  static wrap(buffer: ArrayBufferLike, shape: Shape, byteOffset = 0): Tensor {
    checkShape(shape);
    const n = sizeOf(shape);
    if (byteOffset % 4 !== 0 || byteOffset + n * 4 > buffer.byteLength) {
      throw new TesseraError('SHAPE_MISMATCH',
        `buffer of ${buffer.byteLength} bytes at offset ${byteOffset} cannot hold shape ${fmtShape(shape)} (${n * 4} bytes, 4-byte aligned)`,
        { shape, byteOffset, byteLength: buffer.byteLength });
    }
    return new Tensor(new Float32Array(buffer, byteOffset, n), shape);
  }

  get rank(): number { return this.shape.length; }
  get size(): number { return sizeOf(this.shape); }
  get isShared(): boolean { return typeof SharedArrayBuffer !== 'undefined' && this.data.buffer instanceof SharedArrayBuffer; }

  get isContiguous(): boolean {
    if (this.partial) return false;
    const cs = contiguousStrides(this.shape);
    return this.shape.every((d, i) => d === 1 || cs[i] === this.strides[i]);
  }

  /** Element offset in `data` of the element at `idx`. */
  index(...idx: number[]): number {
    if (idx.length !== this.shape.length) {
      throw new TesseraError('BAD_ARGUMENT', `index [${idx.join(', ')}] has rank ${idx.length}, tensor ${fmtShape(this.shape)} has rank ${this.shape.length}`);
    }
    let o = this.offset;
    for (let i = 0; i < idx.length; i++) {
      const v = idx[i]!;
      if (!Number.isInteger(v) || v < 0 || v >= this.shape[i]!) {
        throw new TesseraError('BAD_ARGUMENT', `index ${v} out of range [0, ${this.shape[i]}) on axis ${i} of ${fmtShape(this.shape)}`);
      }
      o += v * this.strides[i]!;
    }
    if (this.partial) {
      const [n = 0, c = 0, y = 0, x = 0] = idx;
      const p = this.partial;
      if (n < p.n0 || n >= p.n1 || c < p.c0 || c >= p.c1 || y < p.y0 || y >= p.y1 || x < p.x0 || x >= p.x1) {
        throw new TesseraError('BAD_ARGUMENT', `index [${idx.join(', ')}] is outside the stored part ${fmtRegion(p)} of a partial tensor`);
      }
    }
    return o;
  }

  get(...idx: number[]): number { return this.data[this.index(...idx)]!; }
  set(value: number, ...idx: number[]): void { this.data[this.index(...idx)] = value; }

  /** A view of `r` (rank 4 or 2) sharing memory with this tensor. */
  view(r: Region): Tensor {
    checkRegion(r, this.shape, 'view region');
    if (this.partial && !regionContains(this.partial, r)) {
      throw new TesseraError('BAD_REGION', `view ${fmtRegion(r)} reaches outside the stored part ${fmtRegion(this.partial)} of a partial tensor`);
    }
    const [sn, sc, sh, sw] = this.strides4();
    const off = this.offset + r.n0 * sn + r.c0 * sc + r.y0 * sh + r.x0 * sw;
    if (this.rank === 2) return new Tensor(this.data, [r.n1 - r.n0, r.c1 - r.c0], this.strides, off);
    return new Tensor(this.data, [r.n1 - r.n0, r.c1 - r.c0, r.y1 - r.y0, r.x1 - r.x0], this.strides, off);
  }

  /** Strides as NCHW; rank-2 tensors get zero strides for H and W. */
  strides4(): [number, number, number, number] {
    if (this.rank === 4) return [this.strides[0]!, this.strides[1]!, this.strides[2]!, this.strides[3]!];
    if (this.rank === 2) return [this.strides[0]!, this.strides[1]!, 0, 0];
    throw new TesseraError('SHAPE_MISMATCH', `tensor must have rank 4 (NCHW) or 2 (NC), got shape ${fmtShape(this.shape)}`, { shape: this.shape });
  }

  dims4(): [number, number, number, number] { return dims4(this.shape); }

  /** Same elements, new shape; only for contiguous tensors (no copy). */
  reshape(shape: Shape): Tensor {
    checkShape(shape);
    if (sizeOf(shape) !== this.size) {
      throw new TesseraError('SHAPE_MISMATCH', `cannot reshape ${fmtShape(this.shape)} (${this.size} elements) to ${fmtShape(shape)} (${sizeOf(shape)} elements)`);
    }
    if (!this.isContiguous) return this.clone().reshape(shape);
    return new Tensor(this.data, shape, undefined, this.offset);
  }

  /** A contiguous copy (shared if asked). */
  clone(opts: TensorOptions = {}): Tensor {
    const t = Tensor.zeros(this.shape, opts);
    t.data.set(this.toFloat32Array());
    return t;
  }

  /** Elements in row-major order; no copy when already contiguous and whole. */
  toFloat32Array(): Float32Array {
    if (this.partial) {
      throw new TesseraError('BAD_ARGUMENT', `tensor ${fmtShape(this.shape)} stores only ${fmtRegion(this.partial)}; take a view of that region first`);
    }
    if (this.isContiguous) {
      const a = this.data.subarray(this.offset, this.offset + this.size);
      return a;
    }
    const out = new Float32Array(this.size);
    let k = 0;
    const idx = new Array<number>(this.rank).fill(0);
    for (let i = 0; i < out.length; i++) {
      let o = this.offset;
      for (let d = 0; d < this.rank; d++) o += idx[d]! * this.strides[d]!;
      out[k++] = this.data[o]!;
      for (let d = this.rank - 1; d >= 0; d--) {
        if (++idx[d]! < this.shape[d]!) break;
        idx[d] = 0;
      }
    }
    return out;
  }

  toArray(): number[] { return Array.from(this.toFloat32Array()); }

  fill(value: number): this {
    if (this.isContiguous) this.data.fill(value, this.offset, this.offset + this.size);
    else copyRegion(Tensor.filled(this.shape, value), this, fullRegion(this.shape));
    return this;
  }

  toString(): string { return `Tensor${fmtShape(this.shape)}`; }
}

/** Copies region `r` of `src` into the same region of `dst` (same shapes on the region). */
export function copyRegion(src: Tensor, dst: Tensor, r: Region): void {
  checkRegion(r, src.shape, 'copy source region');
  checkRegion(r, dst.shape, 'copy target region');
  const [an, ac, ah, aw] = src.strides4();
  const [bn, bc, bh, bw] = dst.strides4();
  const s = src.data, d = dst.data;
  const cols = r.x1 - r.x0, rows = r.y1 - r.y0;
  // Rows contiguous on both sides go by `set` (a memcpy), whole planes at once when rows follow each other.
  const byRow = aw === 1 && bw === 1 && cols >= 16;
  const byPlane = byRow && ah === cols && bh === cols;
  for (let n = r.n0; n < r.n1; n++) {
    for (let c = r.c0; c < r.c1; c++) {
      if (byPlane) {
        const so = src.offset + n * an + c * ac + r.y0 * ah + r.x0, dO = dst.offset + n * bn + c * bc + r.y0 * bh + r.x0;
        d.set(s.subarray(so, so + rows * cols), dO);
        continue;
      }
      for (let y = r.y0; y < r.y1; y++) {
        let so = src.offset + n * an + c * ac + y * ah + r.x0 * aw;
        let dO = dst.offset + n * bn + c * bc + y * bh + r.x0 * bw;
        if (byRow) d.set(s.subarray(so, so + cols), dO);
        else for (let x = r.x0; x < r.x1; x++, so += aw, dO += bw) d[dO] = s[so]!;
      }
    }
  }
}
