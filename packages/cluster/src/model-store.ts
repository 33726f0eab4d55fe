import { createHash } from 'node:crypto';
import type { ObjectStore } from '@nats-io/obj';
import { TesseraError } from '@tessera/tensor';
import type { Model } from '@tessera/nn';
import { decodeModel, encodeModel } from './codec.js';
import { modelObjectName } from './names.js';

/** A model's content version: hex SHA-256 of its encoded bytes (weights included). */
export function modelVersion(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

const encoded = new WeakMap<Model, { bytes: Uint8Array; version: string }>();

/** encodeModel's bytes and their version, computed once per Model object. */
export function encodedModel(model: Model): { bytes: Uint8Array; version: string } {
  let e = encoded.get(model);
  if (!e) {
    const bytes = encodeModel(model);
    e = { bytes, version: modelVersion(bytes) };
    encoded.set(model, e);
  }
  return e;
}

/**
 * Uploads `model` to the bucket unless it is there already (by id and
 * version); returns the version. Models reach workers this way, once —
 * tasks carry only the id and version.
 */
export async function uploadModel(store: ObjectStore, model: Model, uploaded: Set<string>): Promise<{ version: string; uploaded: boolean; bytes: number }> {
  const { bytes, version } = encodedModel(model);
  const name = modelObjectName(model.id, version);
  if (uploaded.has(name)) return { version, uploaded: false, bytes: 0 };
  const info = await store.info(name);
  if (info && !info.deleted && info.size === bytes.length) {
    uploaded.add(name);
    return { version, uploaded: false, bytes: 0 };
  }
  await store.putBlob({ name }, bytes);
  uploaded.add(name);
  return { version, uploaded: true, bytes: bytes.length };
}

/**
 * Fetches a model by id and version, checks the bytes hash to that version
 * and decodes them (decodeModel validates every op, shape and weight), so a
 * worker only ever runs a known model made of known ops. BAD_MODEL otherwise.
 */
export async function fetchModel(store: ObjectStore, modelId: string, version: string): Promise<Model> {
  const name = modelObjectName(modelId, version);
  const bytes = await store.getBlob(name);
  if (!bytes) throw new TesseraError('BAD_MODEL', `model ${modelId} version ${version} is not in the object store (object '${name}')`);
  const got = modelVersion(bytes);
  if (got !== version) throw new TesseraError('BAD_MODEL', `model object '${name}' hashes to ${got}, not to its version ${version}`);
  const model = decodeModel(bytes);
  if (model.id !== modelId) throw new TesseraError('BAD_MODEL', `model object '${name}' holds model id ${model.id}, expected ${modelId}`);
  return model;
}

/**
 * uploadModel once per model version even when several runs of it start at
 * once: they share the upload in progress (only the first reports it
 * uploaded), rather than each putting the same object.
 */
export class ModelUploads {
  private readonly uploaded = new Set<string>();
  private readonly inFlight = new Map<string, Promise<{ version: string; uploaded: boolean; bytes: number }>>();

  upload(store: ObjectStore, model: Model): Promise<{ version: string; uploaded: boolean; bytes: number }> {
    const name = modelObjectName(model.id, encodedModel(model).version);
    const running = this.inFlight.get(name);
    if (running) return running.then((up) => ({ ...up, uploaded: false, bytes: 0 }));
    const p = uploadModel(store, model, this.uploaded).finally(() => this.inFlight.delete(name));
    this.inFlight.set(name, p);
    return p;
  }
}
