/**
 * The proto3 wire format, just what the schema needs: varints, zig-zag
 * sint32, doubles, length-delimited fields (bytes, strings, messages, packed
 * repeated), and skipping unknown fields. The reader checks every length
 * against the bytes that remain, so it never reads past its end nor
 * allocates: `bytes` fields come back as views of the input.
 */

/** A malformed message; codecs turn it into a TesseraError with context. */
export class WireFormatError extends Error {
  override readonly name = 'WireFormatError';
}

export const WireType = { VARINT: 0, I64: 1, LEN: 2, SGROUP: 3, EGROUP: 4, I32: 5 } as const;

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

export class ProtoWriter {
  private readonly parts: Uint8Array[] = [];
  private scratch = new Uint8Array(256);
  private n = 0;
  /** Bytes written so far. */
  length = 0;

  /** A non-negative integer up to 2^53 − 1. */
  varint(v: number): this {
    this.ensure(10);
    while (v >= 0x80) {
      this.scratch[this.n++] = (v % 0x80) | 0x80;
      this.length++;
      v = Math.floor(v / 0x80);
    }
    this.scratch[this.n++] = v;
    this.length++;
    return this;
  }

  tag(field: number, wireType: number): this {
    return this.varint(field * 8 + wireType);
  }

  /** A uint32 / enum field; proto3 omits zero. */
  uint32Field(field: number, v: number): this {
    return v === 0 ? this : this.tag(field, WireType.VARINT).varint(v);
  }

  /** A sint32 field (zig-zag); proto3 omits zero. */
  sint32Field(field: number, v: number): this {
    return v === 0 ? this : this.tag(field, WireType.VARINT).varint(((v << 1) ^ (v >> 31)) >>> 0);
  }

  /** A double field, little-endian; proto3 omits zero (but not −0). */
  doubleField(field: number, v: number): this {
    if (Object.is(v, 0)) return this;
    this.tag(field, WireType.I64);
    this.ensure(8);
    new DataView(this.scratch.buffer, this.scratch.byteOffset + this.n, 8).setFloat64(0, v, true);
    this.n += 8;
    this.length += 8;
    return this;
  }

  /** A uint64 field holding a safe integer (up to 2^53 − 1); proto3 omits zero. */
  uint64Field(field: number, v: number): this {
    return this.uint32Field(field, v);
  }

  /** A string field; proto3 omits the empty string. */
  stringField(field: number, s: string): this {
    return s === '' ? this : this.bytesField(field, utf8Encoder.encode(s));
  }

  /** A repeated string field: every element is written, empty ones included (their position counts). */
  repeatedStringField(field: number, values: readonly string[]): this {
    for (const s of values) this.lenField(field, utf8Encoder.encode(s));
    return this;
  }

  /** A bytes field; `data` is referenced until finish() and must not change before then. */
  bytesField(field: number, data: Uint8Array): this {
    return data.length === 0 ? this : this.lenField(field, data);
  }

  /** Tag, length and `data`, even when empty. */
  private lenField(field: number, data: Uint8Array): this {
    this.tag(field, WireType.LEN).varint(data.length);
    if (data.length <= 64) {
      this.ensure(data.length);
      this.scratch.set(data, this.n);
      this.n += data.length;
    } else {
      this.flush();
      this.parts.push(data);
    }
    this.length += data.length;
    return this;
  }

  packedUint32Field(field: number, values: readonly number[]): this {
    if (values.length === 0) return this;
    const w = new ProtoWriter();
    for (const v of values) w.varint(v);
    return this.messageField(field, w);
  }

  packedSint32Field(field: number, values: readonly number[]): this {
    if (values.length === 0) return this;
    const w = new ProtoWriter();
    for (const v of values) w.varint(((v << 1) ^ (v >> 31)) >>> 0);
    return this.messageField(field, w);
  }

  /** An embedded message (always written, even when empty: repeated messages count). */
  messageField(field: number, msg: ProtoWriter): this {
    this.tag(field, WireType.LEN).varint(msg.length);
    this.flush();
    msg.flush();
    this.parts.push(...msg.parts);
    this.length += msg.length;
    return this;
  }

  /** The message as one new Uint8Array. */
  finish(): Uint8Array {
    this.flush();
    const out = new Uint8Array(this.length);
    let o = 0;
    for (const p of this.parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }

  private ensure(k: number): void {
    if (this.n + k <= this.scratch.length) return;
    this.flush();
    if (k > this.scratch.length) this.scratch = new Uint8Array(k);
  }

  private flush(): void {
    if (this.n === 0) return;
    this.parts.push(this.scratch.slice(0, this.n));
    this.n = 0;
  }
}

export class ProtoReader {
  pos: number;

  constructor(readonly buf: Uint8Array, start = 0, readonly end = buf.length) {
    this.pos = start;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  /** A varint up to 2^53 − 1 (larger values are rejected, not rounded). */
  varint(): number {
    let result = 0, mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new WireFormatError(`truncated varint at byte ${this.pos}`);
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * mul;
      if (b < 0x80) {
        if (result > Number.MAX_SAFE_INTEGER) throw new WireFormatError(`varint at byte ${this.pos} exceeds 2^53`);
        return result;
      }
      mul *= 0x80;
    }
    throw new WireFormatError(`varint longer than 10 bytes at byte ${this.pos}`);
  }

  /** The next field's number and wire type. */
  tag(): { field: number; wireType: number } {
    const v = this.varint();
    const field = Math.floor(v / 8), wireType = v % 8;
    if (field < 1 || field > 0x1fffffff) throw new WireFormatError(`bad field number ${field} at byte ${this.pos}`);
    return { field, wireType };
  }

  uint32(what: string): number {
    const v = this.varint();
    if (v > 0xffffffff) throw new WireFormatError(`${what} ${v} does not fit in uint32`);
    return v;
  }

  sint32(what: string): number {
    const v = this.uint32(what);
    return (v >>> 1) ^ -(v & 1);
  }

  /** A length-delimited field's bytes, as a view of the input. */
  lengthDelimited(what: string): Uint8Array {
    const len = this.varint();
    if (len > this.end - this.pos) {
      throw new WireFormatError(`${what} declares ${len} bytes at byte ${this.pos}, only ${this.end - this.pos} remain`);
    }
    const v = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return v;
  }

  /** A little-endian double (wire type I64). */
  double(what: string): number {
    if (8 > this.end - this.pos) throw new WireFormatError(`truncated ${what} at byte ${this.pos}`);
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8).getFloat64(0, true);
    this.pos += 8;
    return v;
  }

  /** A UTF-8 string; one longer than `maxBytes` is rejected before it is decoded. */
  string(what: string, maxBytes = Infinity): string {
    const b = this.lengthDelimited(what);
    if (b.length > maxBytes) throw new WireFormatError(`${what} of ${b.length} bytes exceeds the limit of ${maxBytes} bytes`);
    try {
      return utf8Decoder.decode(b);
    } catch {
      throw new WireFormatError(`${what} is not valid UTF-8`);
    }
  }

  /** Appends a packed or unpacked repeated uint32/sint32 field to `into`, at most `max` elements in all. */
  repeated(wireType: number, into: number[], max: number, what: string, signed = false): void {
    const one = (r: ProtoReader) => {
      if (into.length >= max) throw new WireFormatError(`${what} has more than ${max} elements`);
      into.push(signed ? r.sint32(what) : r.uint32(what));
    };
    if (wireType === WireType.VARINT) {
      one(this);
    } else if (wireType === WireType.LEN) {
      const b = this.lengthDelimited(what);
      const r = new ProtoReader(b);
      while (!r.done) one(r);
    } else {
      throw new WireFormatError(`${what} has wire type ${wireType}, expected 0 or 2`);
    }
  }

  /** Throws unless `wireType` is `expected` (a known field sent with the wrong type). */
  expect(wireType: number, expected: number, what: string): void {
    if (wireType !== expected) throw new WireFormatError(`${what} has wire type ${wireType}, expected ${expected}`);
  }

  /** Skips an unknown field. Groups (deprecated, never written by proto3) are rejected. */
  skip(wireType: number): void {
    switch (wireType) {
      case WireType.VARINT: this.varint(); return;
      case WireType.I64: this.advance(8); return;
      case WireType.LEN: this.lengthDelimited('unknown field'); return;
      case WireType.I32: this.advance(4); return;
      default: throw new WireFormatError(`unsupported wire type ${wireType} at byte ${this.pos}`);
    }
  }

  private advance(n: number): void {
    if (n > this.end - this.pos) throw new WireFormatError(`truncated fixed-width field at byte ${this.pos}`);
    this.pos += n;
  }
}
