// A byte trie over raw MUTF-8 keys, for matching DEX strings in place: most strings leave the trie after a
// byte or two, so a table of 100,000 strings is matched without decoding any of them. Nodes are rows of a
// flat Int32Array with one column per byte value that occurs in some key (the alphabet), 0 meaning "no
// child" (the root is node 0 and never a child). Callers attach their own values to node ids.

export class ByteTrie {
  /** Byte value → column (1-based; 0: no key has this byte here or anywhere). */
  readonly alpha = new Uint8Array(256);
  /** Columns per node: the alphabet size + 1. */
  readonly width: number;
  /** child[node * width + column] → node, or 0. */
  readonly child: Int32Array;
  readonly nodeCount: number;
  /** Node at the end of each key, in the order the keys were given. */
  readonly keyNodes: number[];

  constructor(keys: readonly Uint8Array[]) {
    let columns = 0;
    for (const k of keys) for (const b of k) if (this.alpha[b] === 0) this.alpha[b] = ++columns;
    this.width = columns + 1;
    // Built as maps first (one per node), then laid out once: growing a flat table key by key was slow.
    const edges: Map<number, number>[] = [new Map()];
    this.keyNodes = keys.map((k) => {
      let node = 0;
      for (const b of k) {
        let next = edges[node]!.get(b);
        if (next === undefined) {
          next = edges.length;
          edges.push(new Map());
          edges[node]!.set(b, next);
        }
        node = next;
      }
      return node;
    });
    this.nodeCount = edges.length;
    this.child = new Int32Array(this.nodeCount * this.width);
    edges.forEach((m, node) => m.forEach((next, b) => (this.child[node * this.width + this.alpha[b]!] = next)));
  }

  /** Node reached from `node` by byte `b`, or 0. */
  step(node: number, b: number): number {
    const col = this.alpha[b]!;
    return col === 0 ? 0 : this.child[node * this.width + col]!;
  }

  /** Int32Array of nodeCount entries filled with -1, for values attached to nodes. */
  values(): Int32Array {
    return new Int32Array(this.nodeCount).fill(-1);
  }
}
