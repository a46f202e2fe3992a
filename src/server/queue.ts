// Admission control: at most `capacity` uploads are in the building at once (streaming, waiting or scanning).
// The check is made before the body is read, so a full server answers 503 at once instead of taking the
// bytes; the scans themselves run `concurrency` at a time.
export class QueueFullError extends Error {
  constructor() {
    super('the scan queue is full');
  }
}

export class ScanQueue {
  private admitted = 0;
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly capacity: number, readonly concurrency: number) {}

  get size(): { admitted: number; running: number; waiting: number } {
    return { admitted: this.admitted, running: this.running, waiting: this.waiting.length };
  }

  /** Reserves a place or throws QueueFullError; the caller must call the returned release exactly once. */
  admit(): () => void {
    if (this.admitted >= this.capacity) throw new QueueFullError();
    this.admitted++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.admitted--;
    };
  }

  /** Runs `fn` when a scan slot is free. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running++;
    try {
      return await fn();
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }
}
