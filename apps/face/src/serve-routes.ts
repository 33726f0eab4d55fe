import { TesseraError } from '@tessera/tensor';
import { Gallery } from './gallery.js';
import { decodeImageBytes } from './image.js';
import { largestFace } from './largest-face.js';
import { detectedFaceJson, engineNow, identifiedFaceJson, imageJson } from './output-json.js';
import type { FacePipeline, StageTimes } from './pipeline.js';
import { HttpError, type Reply, type Route, type RouteRequest } from './serve-server.js';

/**
 * The routes of `tessera-face serve`. Answers are the JSON `--json` prints for the same command
 * (schema/output.schema.json), one image per request; `?image=` names the picture in the answer
 * (default `upload`). The gallery is opened per request (read-only for identify and people), so a
 * CLI enrolling into the same file meanwhile is seen at once, and nothing is held open between requests.
 */
export interface RouteDeps {
  readonly pipe: FacePipeline;
  readonly db: string;
  readonly tolerance: number;
  readonly queueState: () => { running: number; held: number; capacity: number };
}

export function faceRoutes(d: RouteDeps): Route[] {
  return [
    { method: 'POST', path: /^\/identify$/, queued: true, handle: (r) => identify(d, r) },
    { method: 'POST', path: /^\/detect$/, queued: true, handle: (r) => detect(d, r) },
    { method: 'POST', path: /^\/enroll$/, queued: true, handle: (r) => enroll(d, r) },
    { method: 'GET', path: /^\/people$/, queued: false, handle: async (r) => { query(r, []); return people(d); } },
    { method: 'DELETE', path: /^\/people\/([^/]+)$/, queued: false, handle: async (r) => { query(r, []); return forget(d, r.params[0]!); } },
    { method: 'GET', path: /^\/healthz$/, queued: false, handle: async () => health(d) },
  ];
}

/** The query string's keys, checked: an unknown or misspelt key is refused, naming it. */
function query(r: RouteRequest, allowed: readonly string[]): Map<string, string> {
  const q = new Map<string, string>();
  for (const [k, v] of r.url.searchParams) {
    if (!allowed.includes(k)) throw new HttpError(400, 'BAD_ARGUMENT', `unknown query parameter '${k}' for ${r.url.pathname}${allowed.length ? ` (known: ${allowed.join(', ')})` : ''}`);
    q.set(k, v);
  }
  return q;
}

function flag(q: Map<string, string>, key: string): boolean {
  const v = q.get(key);
  if (v === undefined || v === 'false' || v === '0') return false;
  if (v === '' || v === 'true' || v === '1') return true;
  throw new HttpError(400, 'BAD_ARGUMENT', `?${key} must be true or false, got '${v}'`);
}

/** The uploaded picture, decoded and analysed: a body that is not an image is BAD_IMAGE (400) naming it. */
async function analyze(d: RouteDeps, r: RouteRequest, label: string, describe = true) {
  const body = await r.body();
  if (body.length === 0) throw new HttpError(400, 'BAD_IMAGE', 'the request has no body: send the image file\'s bytes (curl --data-binary @photo.jpg)');
  const img = await decodeImageBytes(body, label);
  const times: StageTimes = {};
  const faces = await d.pipe.analyze(img, times, describe);
  return { faces, times, width: img.width, height: img.height };
}

async function identify(d: RouteDeps, r: RouteRequest): Promise<Reply> {
  const q = query(r, ['image', 'tolerance', 'descriptors', 'timings']);
  const label = q.get('image') ?? 'upload';
  const tolerance = q.has('tolerance') ? positive('tolerance', q.get('tolerance')!) : d.tolerance;
  const a = await analyze(d, r, label);
  const gallery = Gallery.open(d.db, { readonly: true });
  try {
    const faces = a.faces.map((f) => identifiedFaceJson(f, a.width, a.height, gallery.match(f.descriptor, tolerance), flag(q, 'descriptors')));
    return { status: 200, body: { command: 'identify', db: d.db, backend: d.pipe.backend, engine: engineNow(), tolerance, images: [imageJson(label, { ...a, faces }, flag(q, 'timings'))] } };
  } finally {
    gallery.close();
  }
}

async function detect(d: RouteDeps, r: RouteRequest): Promise<Reply> {
  const q = query(r, ['image', 'timings']);
  const label = q.get('image') ?? 'upload';
  const a = await analyze(d, r, label, false);
  const faces = a.faces.map((f) => detectedFaceJson(f, a.width, a.height));
  return { status: 200, body: { command: 'detect', backend: d.pipe.backend, engine: engineNow(), images: [imageJson(label, { ...a, faces }, flag(q, 'timings'))] } };
}

/** The largest face is enrolled under ?name=; a picture with no face is 422 with the same report, nothing enrolled. */
async function enroll(d: RouteDeps, r: RouteRequest): Promise<Reply> {
  const q = query(r, ['name', 'image']);
  const name = q.get('name');
  if (!name) throw new HttpError(400, 'BAD_ARGUMENT', 'POST /enroll needs ?name=NAME');
  const label = q.get('image') ?? 'upload';
  const a = await analyze(d, r, label);
  const report = { command: 'enroll', db: d.db, backend: d.pipe.backend, engine: engineNow(), people: [{ name, enrolled: 0, skipped: [] as { path: string; reason: string }[] }], unreadable: [] };
  if (a.faces.length === 0) {
    report.people[0]!.skipped.push({ path: label, reason: 'no face found' });
    return { status: 422, body: report };
  }
  const gallery = Gallery.open(d.db);
  try {
    report.people[0]!.enrolled = gallery.enroll(name, [{ descriptor: largestFace(a.faces).descriptor, source: label }]);
  } finally {
    gallery.close();
  }
  return { status: 200, body: report };
}

async function people(d: RouteDeps): Promise<Reply> {
  const gallery = Gallery.open(d.db, { readonly: true });
  try {
    return { status: 200, body: { command: 'list', db: d.db, people: gallery.list() } };
  } finally {
    gallery.close();
  }
}

async function forget(d: RouteDeps, name: string): Promise<Reply> {
  const gallery = Gallery.open(d.db);
  try {
    if (!gallery.list().some((p) => p.name === name)) throw new HttpError(404, 'NOT_FOUND', `nobody named '${name}' is enrolled in ${d.db}`);
    return { status: 200, body: { command: 'forget', db: d.db, name, removed: gallery.forget(name) } };
  } finally {
    gallery.close();
  }
}

/** Up and taking requests (while shutting down every request, this one too, is 503). */
function health(d: RouteDeps): Reply {
  return { status: 200, body: { status: 'ok', backend: d.pipe.backend, queue: d.queueState() } };
}

function positive(key: string, v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new TesseraError('BAD_ARGUMENT', `?${key} must be a positive number, got '${v}'`);
  return n;
}
