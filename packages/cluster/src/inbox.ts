/**
 * A queue of events a run waits on (results arriving on a subscription, an
 * abort, the connection closing), with a bounded wait so the run can do its
 * periodic checks. Exactly one timer exists while take() waits, none after.
 */
export class Inbox<T> {
  private readonly items: T[] = [];
  private waiter: ((item: T | undefined) => void) | undefined;

  push(item: T): void {
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w(item);
    } else {
      this.items.push(item);
    }
  }

  /** The next item, or undefined when none came within `ms`. */
  take(ms: number): Promise<T | undefined> {
    if (this.items.length > 0) return Promise.resolve(this.items.shift());
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        resolve(undefined);
      }, Math.max(0, ms));
      this.waiter = (item) => {
        clearTimeout(timer);
        resolve(item);
      };
    });
  }
}
