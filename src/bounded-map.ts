// A Map for caches of facts that can be recomputed (decoded keys, resolved names): when it holds
// `max` entries it empties itself before taking one more, so memory stays bounded without
// bookkeeping per read. A cleared cache only costs one recomputation per entry.
export class BoundedMap<K, V> extends Map<K, V> {
  constructor(private readonly max: number) {
    super();
  }

  override set(key: K, value: V): this {
    if (this.size >= this.max && !this.has(key)) this.clear();
    return super.set(key, value);
  }
}
