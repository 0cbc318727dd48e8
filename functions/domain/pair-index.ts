/**
 * Numbers pairs of array indices (non-negative integers below 2^31) 0, 1, 2, ... in order of first
 * sight. An open-addressing hash table over typed arrays: the usage aggregation looks up one pair
 * per rollup row, and with hundreds of thousands of rows a Map's per-entry allocations and
 * rehashing cost several times more and load the garbage collector.
 */
export class PairIndex {
  private firsts = new Int32Array(INITIAL_CAPACITY);
  private seconds = new Int32Array(INITIAL_CAPACITY);
  /** Hash slot -> pair number + 1; 0 marks an empty slot. Kept at most half full. */
  private slots = new Int32Array(INITIAL_CAPACITY * 2);
  private count = 0;

  /** How many distinct pairs have been seen. */
  get size(): number {
    return this.count;
  }

  /** The pair's number; a pair not seen before gets the next one, `size` before the call. */
  indexOf(first: number, second: number): number {
    const mask = this.slots.length - 1;
    for (let slot = hash(first, second) & mask; ; slot = (slot + 1) & mask) {
      const entry = this.slots[slot]!;
      if (entry === 0) return this.insert(slot, first, second);
      const index = entry - 1;
      if (this.firsts[index] === first && this.seconds[index] === second) return index;
    }
  }

  /** Adds the pair; true when it was not there yet. */
  add(first: number, second: number): boolean {
    const before = this.count;
    this.indexOf(first, second);
    return this.count > before;
  }

  first(index: number): number {
    return this.firsts[index]!;
  }

  second(index: number): number {
    return this.seconds[index]!;
  }

  private insert(slot: number, first: number, second: number): number {
    const index = this.count;
    if (index === this.firsts.length) {
      this.grow();
      return this.indexOf(first, second);
    }
    this.firsts[index] = first;
    this.seconds[index] = second;
    this.slots[slot] = index + 1;
    this.count += 1;
    return index;
  }

  private grow(): void {
    const capacity = this.firsts.length * 2;
    const firsts = new Int32Array(capacity);
    firsts.set(this.firsts);
    const seconds = new Int32Array(capacity);
    seconds.set(this.seconds);
    this.firsts = firsts;
    this.seconds = seconds;
    this.slots = new Int32Array(capacity * 2);
    const mask = this.slots.length - 1;
    for (let index = 0; index < this.count; index += 1) {
      let slot = hash(firsts[index]!, seconds[index]!) & mask;
      while (this.slots[slot] !== 0) slot = (slot + 1) & mask;
      this.slots[slot] = index + 1;
    }
  }
}

const INITIAL_CAPACITY = 1024;

/** MurmurHash3's finaliser over a mix of both numbers, so consecutive pairs spread over the table. */
function hash(first: number, second: number): number {
  let h = (Math.imul(first, 0x9e3779b1) + second) | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}
