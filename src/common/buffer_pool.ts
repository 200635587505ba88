/**
 * Reusable byte buffers for block payloads. A transfer of gigabytes read
 * and written a block or a few at a time would otherwise allocate a fresh
 * buffer per piece and leave it to V8, which collects external memory
 * lazily (tens of MB late): reusing a few keeps a peer's memory flat, and
 * spares the kernel faulting in fresh pages for every buffer.
 *
 * Buffers come in three sizes (64 KiB, 1 MiB: a block, 4 MiB: a seed's
 * read of a few blocks), so that a small file never holds a big buffer;
 * each size keeps a bounded number idle.
 *
 * @module
 */

const KiB = 1024;
const TIERS = [
  { size: 64 * KiB, keep: 128 },
  { size: 1024 * KiB, keep: 32 },
  { size: 4 * 1024 * KiB, keep: 16 },
];

export class BufferPool {
  #free: ArrayBuffer[][] = TIERS.map(() => []);

  /** A buffer of at least `bytes` bytes (a pooled one when one fits). */
  take(bytes: number): ArrayBuffer {
    const tier = TIERS.findIndex((t) => bytes <= t.size);
    if (tier < 0) return new ArrayBuffer(bytes);
    return this.#free[tier]!.pop() ?? new ArrayBuffer(TIERS[tier]!.size);
  }

  /** Gives a buffer back once nothing reads or writes it any more. */
  give(buffer: ArrayBufferLike): void {
    if (!(buffer instanceof ArrayBuffer) || buffer.detached) return;
    const tier = TIERS.findIndex((t) => t.size === buffer.byteLength);
    if (tier < 0) return;
    const free = this.#free[tier]!;
    if (free.length < TIERS[tier]!.keep) free.push(buffer);
  }

  /** Buffers waiting for reuse. */
  get idle(): number {
    return this.#free.reduce((n, list) => n + list.length, 0);
  }
}
