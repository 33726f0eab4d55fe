/**
 * `p`'s value, or undefined if it has not settled within `ms` (or rejected).
 * NATS requests made around a disconnect wait for the client's full request
 * timeout; callers that must stay responsive bound them with this. No timer
 * outlives the call.
 */
export async function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => { timer = setTimeout(() => resolve(undefined), ms); });
  p.catch(() => {});
  try {
    return await Promise.race([p, late]);
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}
