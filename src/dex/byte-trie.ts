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
    const rows: number[] = new Array<number>(this.width).fill(0);
    let nodes = 1;
    this.keyNodes = keys.map((k) => {
      let node = 0;
      for (const b of k) {
        const at = node * this.width + this.alpha[b]!;
        let next = rows[at]!;
        if (next === 0) {
          next = nodes++;
          for (let i = 0; i < this.width; i++) rows.push(0);
          rows[at] = next;
        }
        node = next;
      }
      return node;
    });
    this.nodeCount = nodes;
    this.child = Int32Array.from(rows);
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
